using System;
using System.Collections;
using System.Linq;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Tests.Infrastructure;
using Xunit;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>Test-AlpRequest in cluster mode: policies stored as Calico CRDs, workloads from live pods.</summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class TestAlpRequestClusterTests : IDisposable
    {
        private readonly ClusterFixture _cluster;
        private readonly CmdletHost _host = new();
        private readonly string _ns = "alpreq" + Guid.NewGuid().ToString("N")[..6];

        public TestAlpRequestClusterTests(ClusterFixture cluster)
        {
            _cluster = cluster;
            cluster.KubectlApply($@"apiVersion: v1
kind: Namespace
metadata: {{name: {_ns}, labels: {{team: shop}}}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: frontend, namespace: {_ns}}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: api, namespace: {_ns}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: frontend, namespace: {_ns}, labels: {{app: frontend}}}}
spec: {{serviceAccountName: frontend, automountServiceAccountToken: false, containers: [{{name: app, image: 'nginx:1.19'}}]}}
---
apiVersion: v1
kind: Pod
metadata: {{name: api, namespace: {_ns}, labels: {{app: api}}}}
spec: {{serviceAccountName: api, automountServiceAccountToken: false, containers: [{{name: app, image: 'nginx:1.19'}}]}}
---
apiVersion: crd.projectcalico.org/v1
kind: NetworkPolicy
metadata: {{name: api-from-frontend, namespace: {_ns}}}
spec:
  selector: app == 'api'
  types: [Ingress]
  ingress:
  - action: Allow
    source:
      serviceAccounts: {{names: [frontend]}}
    http:
      methods: [GET]
");
        }

        public void Dispose()
        {
            _cluster.Kubectl("delete", "namespace", _ns, "--wait=false");
            _host.Dispose();
        }

        private Hashtable Params(string method) => new()
        {
            ["Kubeconfig"] = _cluster.Kubeconfig,
            ["Context"] = "admin",
            ["Source"] = $"{_ns}/frontend",
            ["Destination"] = $"{_ns}/api",
            ["DestinationPort"] = 8080,
            ["Method"] = method,
            ["Path"] = "/orders",
        };

        [Fact]
        public void Decides_from_the_policies_stored_in_the_cluster_and_the_live_pods()
        {
            var allow = _host.Invoke("Test-AlpRequest", Params("GET"));
            allow.AssertSuccess();
            var d = Assert.Single(allow.OutputOf<RequestDecision>());
            Assert.Equal("Allow", d.Decision.ToString());
            Assert.Equal($"{_ns}/api-from-frontend", d.Policy);

            var deny = _host.Invoke("Test-AlpRequest", Params("DELETE"));
            deny.AssertSuccess();
            Assert.Equal("Deny", Assert.Single(deny.OutputOf<RequestDecision>()).Decision.ToString());
        }

        [Fact]
        public void A_missing_pod_is_a_clear_error()
        {
            var p = Params("GET");
            p["Source"] = $"{_ns}/nope";
            var r = _host.Invoke("Test-AlpRequest", p);
            Assert.Equal("PodNotFound,CalicoAlp.Cmdlets.TestAlpRequestCommand", Assert.Single(r.Errors).FullyQualifiedErrorId);
        }

        [Fact]
        public void Pods_need_cluster_mode()
        {
            var p = Params("GET");
            p["PolicyPath"] = RepoPaths.Root;
            var r = _host.Invoke("Test-AlpRequest", p);
            Assert.Equal("PodNeedsCluster,CalicoAlp.Tests", r.Terminating?.FullyQualifiedErrorId.Replace("CalicoAlp.Cmdlets.TestAlpRequestCommand", "CalicoAlp.Tests", StringComparison.Ordinal));
        }
    }
}
