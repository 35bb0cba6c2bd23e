using System;
using System.Collections;
using System.Linq;
using CalicoAlp.Core.Namespaces;
using CalicoAlp.Tests.Infrastructure;
using Xunit;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>
    /// A pod's workload is read from owner references (Pod -> ReplicaSet -> Deployment), never guessed from names or the
    /// pod-template-hash label. The test control plane runs no deployment controller, so the ReplicaSets and pods are
    /// created by hand with controller owner references carrying the owners' real UIDs (as WorkloadFactory does).
    /// </summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class WorkloadOwnerTests : IDisposable
    {
        private readonly ClusterFixture _cluster;
        private readonly WorkloadFactory _make;
        private readonly CmdletHost _host = new();
        private readonly string _ns = "owners" + Guid.NewGuid().ToString("N")[..6];

        public WorkloadOwnerTests(ClusterFixture cluster)
        {
            _cluster = cluster;
            _make = new WorkloadFactory(cluster);
            _make.Namespace(_ns);
        }

        public void Dispose()
        {
            _make.DeleteNamespace(_ns);
            _host.Dispose();
        }

        private string Uid(string kind, string name) => _cluster.KubectlOk("-n", _ns, "get", kind, name, "-o", "jsonpath={.metadata.uid}").Trim();

        private static string Owner(string kind, string name, string uid) => $"{{apiVersion: apps/v1, kind: {kind}, name: {name}, uid: '{uid}', controller: true}}";

        private void ReplicaSet(string name, string app, string? owner, string templateLabels)
        {
            var ownerLine = owner == null ? "" : $"  ownerReferences: [{owner}]\n";
            _cluster.KubectlApply($"apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: {name}\n  namespace: {_ns}\n{ownerLine}" +
                $"spec:\n  replicas: 2\n  selector: {{matchLabels: {{{templateLabels}}}}}\n  template:\n    metadata: {{labels: {{{templateLabels}}}}}\n" +
                "    spec:\n      containers: [{name: app, image: 'nginx:1.19'}]\n");
        }

        private void Deployment(string name, string labels) =>
            _cluster.KubectlApply($"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {_ns}}}\nspec:\n  replicas: 2\n" +
                $"  selector: {{matchLabels: {{{labels}}}}}\n  template:\n    metadata: {{labels: {{{labels}}}}}\n    spec:\n      containers: [{{name: app, image: 'nginx:1.19'}}]\n");

        private AlpNamespaceResult AddNamespace(bool restart)
        {
            var p = new Hashtable { ["Kubeconfig"] = _cluster.Kubeconfig, ["Context"] = "admin", ["Name"] = _ns };
            if (restart) p["Restart"] = true;
            var r = _host.Invoke("Add-AlpNamespace", p);
            r.AssertSuccess();
            return Assert.Single(r.OutputOf<AlpNamespaceResult>());
        }

        [Fact]
        public void A_ReplicaSet_without_pod_template_hash_is_reported_and_restarted_as_its_Deployment()
        {
            // Deployment 'api' owns ReplicaSet 'api-blue' (not named <deployment>-<hash>); its pods carry no pod-template-hash.
            Deployment("api", "app: api");
            ReplicaSet("api-blue", "api", Owner("Deployment", "api", Uid("deployment", "api")), "app: api, track: blue");
            var rsUid = Uid("replicaset", "api-blue");
            for (var i = 0; i < 2; i++) _make.Pod(_ns, $"api-blue-p{i}", Array.Empty<string>(), Owner("ReplicaSet", "api-blue", rsUid), "app: api, track: blue");

            var result = AddNamespace(restart: false);
            var w = Assert.Single(result.Workloads);
            Assert.Equal(("Deployment", "api"), (w.Kind, w.Name));
            Assert.Equal(new[] { "api-blue-p0", "api-blue-p1" }, w.Pods);
            Assert.True(w.Restartable);
            Assert.Null(w.Note);

            var restarted = AddNamespace(restart: true);
            Assert.Equal(new[] { "Deployment/api" }, restarted.RestartedWorkloads);
            var annotations = _cluster.GetJson("-n", _ns, "get", "deployment", "api")!["spec"]!["template"]!["metadata"]!["annotations"]!.AsObject();
            Assert.True(annotations.ContainsKey("kubectl.kubernetes.io/restartedAt"));
        }

        [Fact]
        public void A_ReplicaSet_named_like_a_Deployments_but_not_owned_by_it_stays_a_ReplicaSet()
        {
            // Name and pod-template-hash look like the Deployment controller's work, but no owner reference says so.
            Deployment("web", "app: web");
            ReplicaSet("web-5d8f7c9b4", "web", owner: null, "app: web, pod-template-hash: '5d8f7c9b4'");
            var rsUid = Uid("replicaset", "web-5d8f7c9b4");
            _make.Pod(_ns, "web-5d8f7c9b4-p0", Array.Empty<string>(), Owner("ReplicaSet", "web-5d8f7c9b4", rsUid), "app: web, pod-template-hash: '5d8f7c9b4'");

            var result = AddNamespace(restart: false);
            var w = Assert.Single(result.Workloads);
            Assert.Equal(("ReplicaSet", "web-5d8f7c9b4"), (w.Kind, w.Name));
            Assert.False(w.Restartable);
            Assert.Contains("without a Deployment", w.Note, StringComparison.Ordinal);
        }
    }
}
