using System;
using System.Collections;
using System.IO;
using System.Linq;
using System.Management.Automation;
using CalicoAlp.Core.Policy.Comparison;
using CalicoAlp.Tests.Infrastructure;
using Xunit;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>Compare-AlpPolicy with the cluster as the reference: what the API server stores now against proposed files.</summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class CompareAlpPolicyClusterTests : IDisposable
    {
        private readonly ClusterFixture _cluster;
        private readonly CmdletHost _host = new();
        private readonly string _ns = "alpcmp" + Guid.NewGuid().ToString("N")[..6];
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "calicoalp-cmp-" + Guid.NewGuid().ToString("N"));

        public CompareAlpPolicyClusterTests(ClusterFixture cluster)
        {
            _cluster = cluster;
            Directory.CreateDirectory(_dir);
            cluster.KubectlApply($@"apiVersion: v1
kind: Namespace
metadata: {{name: {_ns}, labels: {{team: {_ns}}}}}
---
apiVersion: crd.projectcalico.org/v1
kind: NetworkPolicy
metadata: {{name: api, namespace: {_ns}}}
spec:
  selector: app == 'api'
  types: [Ingress]
  ingress:
  - action: Allow
    source:
      nets: [10.1.0.0/24]
    http:
      methods: [GET, POST]
");
        }

        public void Dispose()
        {
            _cluster.Kubectl("delete", "namespace", _ns, "--wait=false");
            _host.Dispose();
            Directory.Delete(_dir, true);
        }

        [Fact]
        public void The_cluster_is_the_reference_and_its_namespace_labels_serve_the_difference_set()
        {
            // The proposed set replaces the namespaced policy with a global one that selects the namespace by the label
            // only the cluster knows, and allows GET alone.
            var difference = Path.Combine(_dir, "difference.yaml");
            File.WriteAllText(difference, $@"apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {{name: {_ns}-get-only}}
spec:
  selector: app == 'api'
  namespaceSelector: team == '{_ns}'
  ingress:
  - action: Allow
    source: {{nets: [10.1.0.0/24]}}
    http: {{methods: [GET]}}
");
            var requests = new[] { "GET", "POST" }.Select(m =>
            {
                var o = new PSObject();
                o.Properties.Add(new PSNoteProperty("Method", m));
                o.Properties.Add(new PSNoteProperty("Path", "/orders"));
                o.Properties.Add(new PSNoteProperty("SourceIP", "10.1.0.9"));
                return (object)o;
            }).ToList();
            var r = _host.Invoke("Compare-AlpPolicy", new Hashtable
            {
                ["Kubeconfig"] = _cluster.Kubeconfig,
                ["Context"] = "admin",
                ["DifferencePolicyPath"] = difference,
                ["DestinationNamespace"] = _ns,
                ["DestinationServiceAccount"] = "api",
                ["DestinationLabels"] = new Hashtable { ["app"] = "api" },
                ["DestinationPort"] = 8080,
                ["IncludeUnchanged"] = true,
            }, requests);
            r.AssertSuccess();
            var summary = Assert.Single(r.OutputOf<ComparisonSummary>());
            Assert.Equal("cluster 'admin'", summary.ReferenceSource);
            Assert.Equal((2L, 1L, 1L, 0L), (summary.Lines, summary.NewlyDenied, summary.OtherRule, summary.NewlyAllowed));
            var changes = r.OutputOf<PolicyChange>().ToList();
            Assert.Equal(new[] { ChangeKind.OtherRule, ChangeKind.NewlyDenied }, changes.Select(c => c.Change).ToArray());
            Assert.Equal(($"{_ns}/api", $"{_ns}-get-only"), (changes[0].Reference.Policy, changes[0].Difference.Policy));
            Assert.Equal("POST", changes[1].Method);
            Assert.Equal($"{_ns}/api", changes[1].Reference.Policy);
            Assert.Null(changes[1].LogLine);
        }
    }
}
