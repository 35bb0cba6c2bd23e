using System;
using System.Collections.Generic;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Kube;
using CalicoAlp.Tests.Infrastructure;
using Xunit;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>
    /// Every write verb of <see cref="KubeApi"/> (create, replace, merge patch, delete with and without a
    /// resourceVersion precondition), as a server-side dry run against the real API server, for every kind of object
    /// the module writes (core, apps and namespace objects, Calico and Istio custom resources): kubectl then reads the
    /// object back and finds it as it was (not created, same resourceVersion and label, still present).
    /// </summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class KubeApiDryRunTests : IDisposable
    {
        private const string Label = "calicoalp-dry-run";
        private readonly ClusterFixture _cluster;
        private readonly KubeApi _api;
        private readonly string _ns = "calicoalp-dry-" + Guid.NewGuid().ToString("N")[..8];
        private readonly List<string[]> _cleanup = new();

        public KubeApiDryRunTests(ClusterFixture cluster)
        {
            _cluster = cluster;
            _cluster.KubectlApply($"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {_ns}}}\n");
            _api = KubeConnector.Connect(new KubeConnectionOptions { KubeconfigPaths = new[] { cluster.Kubeconfig }, Context = "admin" }, NullOperationLog.Instance);
        }

        public void Dispose()
        {
            foreach (var args in _cleanup) _cluster.Kubectl(args);
            _cluster.Kubectl("delete", "namespace", _ns, "--ignore-not-found", "--wait=false");
            _api.Dispose();
        }

        public static TheoryData<string> Kinds => new() { "ConfigMap", "Pod", "Deployment", "Namespace", "FelixConfiguration", "ServiceEntry" };

        /// <summary>The resource type, the namespace (null when cluster-scoped) and a new object of that kind with label calicoalp-dry-run=before.</summary>
        private (ResourceType Type, string? Ns, JsonObject Obj) Sample(string kind)
        {
            var name = "dry-" + kind.ToLowerInvariant();
            var (type, spec) = kind switch
            {
                "ConfigMap" => (ResourceType.ConfigMap, null),
                "Pod" => (ResourceType.Pod, "{\"automountServiceAccountToken\":false,\"containers\":[{\"name\":\"app\",\"image\":\"nginx:1.19\"}]}"),
                "Deployment" => (ResourceType.Deployment, "{\"selector\":{\"matchLabels\":{\"app\":\"dry\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"dry\"}},\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"nginx:1.19\"}]}}}"),
                "Namespace" => (ResourceType.Namespace, (string?)null),
                "FelixConfiguration" => (ResourceType.FelixConfiguration, "{\"logSeverityScreen\":\"Info\"}"),
                "ServiceEntry" => (ResourceType.ServiceEntry, "{\"hosts\":[\"dry.example.com\"],\"ports\":[{\"name\":\"http\",\"number\":80,\"protocol\":\"HTTP\"}],\"resolution\":\"DNS\"}"),
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            };
            if (kind == "Namespace") name = _ns + "-ns";
            if (kind == "FelixConfiguration") name = _ns; // cluster-scoped: unique per test
            var ns = type.Namespaced ? _ns : null;
            var metadata = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { [Label] = "before" } };
            if (ns != null) metadata["namespace"] = ns;
            var obj = new JsonObject { ["apiVersion"] = type.ApiVersion, ["kind"] = type.Kind, ["metadata"] = metadata };
            if (kind == "ConfigMap") obj["data"] = new JsonObject { ["k"] = "v" };
            if (spec != null) obj["spec"] = JsonNode.Parse(spec);
            return (type, ns, obj);
        }

        private static string NameOf(JsonObject obj) => obj["metadata"]!["name"]!.GetValue<string>();

        /// <summary>The object as kubectl reads it (null when absent).</summary>
        private JsonObject? Read(ResourceType type, string? ns, string name) =>
            ns == null ? _cluster.GetJson("get", type.FullName, name) : _cluster.GetJson("-n", ns, "get", type.FullName, name);

        private static string ResourceVersion(JsonObject obj) => obj["metadata"]!["resourceVersion"]!.GetValue<string>();

        private static string? LabelOf(JsonObject obj) => obj["metadata"]?["labels"]?[Label]?.GetValue<string>();

        /// <summary>Creates the sample object for real (with kubectl, not with the code under test) and returns it as stored.</summary>
        private (ResourceType Type, string? Ns, JsonObject Stored) Existing(string kind)
        {
            var (type, ns, obj) = Sample(kind);
            if (kind == "Pod") WaitForDefaultServiceAccount();
            _cluster.KubectlApply(obj.ToJsonString());
            if (!type.Namespaced) _cleanup.Add(new[] { "delete", type.FullName, NameOf(obj), "--ignore-not-found", "--wait=false" });
            var stored = Read(type, ns, NameOf(obj)) ?? throw new InvalidOperationException($"{kind} was not created");
            return (type, ns, stored);
        }

        /// <summary>The ServiceAccount admission plugin refuses pods until the controller-manager has made 'default'.</summary>
        private void WaitForDefaultServiceAccount()
        {
            for (var i = 0; i < 300; i++)
            {
                if (_cluster.Kubectl("-n", _ns, "get", "serviceaccount", "default").ExitCode == 0) return;
                Thread.Sleep(100);
            }
            throw new InvalidOperationException($"no default ServiceAccount in {_ns} after 30 s");
        }

        private void AssertUnchanged(ResourceType type, string? ns, JsonObject before)
        {
            var after = Read(type, ns, NameOf(before));
            Assert.NotNull(after);
            Assert.Equal(before["metadata"]!["uid"]!.GetValue<string>(), after!["metadata"]!["uid"]!.GetValue<string>());
            Assert.Equal(ResourceVersion(before), ResourceVersion(after));
            Assert.Equal("before", LabelOf(after));
            Assert.Null(after["metadata"]!["deletionTimestamp"]);
        }

        [Theory]
        [MemberData(nameof(Kinds))]
        public async Task Dry_run_create_creates_nothing(string kind)
        {
            var (type, ns, obj) = Sample(kind);
            if (!type.Namespaced) _cleanup.Add(new[] { "delete", type.FullName, NameOf(obj), "--ignore-not-found", "--wait=false" });
            var answer = await _api.CreateAsync(type, ns, obj, dryRun: true, CancellationToken.None);
            Assert.Equal(NameOf(obj), NameOf(answer)); // the server did validate and answer with the object it would create
            Assert.Null(Read(type, ns, NameOf(obj)));
        }

        [Theory]
        [MemberData(nameof(Kinds))]
        public async Task Dry_run_replace_changes_nothing(string kind)
        {
            var (type, ns, stored) = Existing(kind);
            var changed = (JsonObject)stored.DeepClone();
            changed["metadata"]!["labels"]![Label] = "after";
            var answer = await _api.ReplaceAsync(type, ns, changed, dryRun: true, CancellationToken.None);
            Assert.Equal("after", LabelOf(answer));
            AssertUnchanged(type, ns, stored);
        }

        [Theory]
        [MemberData(nameof(Kinds))]
        public async Task Dry_run_merge_patch_changes_nothing(string kind)
        {
            var (type, ns, stored) = Existing(kind);
            var patch = JsonNode.Parse($"{{\"metadata\":{{\"resourceVersion\":\"{ResourceVersion(stored)}\",\"labels\":{{\"{Label}\":\"after\"}}}}}}")!.AsObject();
            var answer = await _api.MergePatchAsync(type, ns, NameOf(stored), patch, dryRun: true, CancellationToken.None);
            Assert.Equal("after", LabelOf(answer));
            AssertUnchanged(type, ns, stored);
        }

        [Theory]
        [MemberData(nameof(Kinds))]
        public async Task Dry_run_delete_leaves_the_object(string kind)
        {
            var (type, ns, stored) = Existing(kind);
            Assert.True(await _api.DeleteAsync(type, ns, NameOf(stored), resourceVersion: null, dryRun: true, CancellationToken.None));
            AssertUnchanged(type, ns, stored);
        }

        [Theory]
        [MemberData(nameof(Kinds))]
        public async Task Dry_run_conditional_delete_leaves_the_object(string kind)
        {
            var (type, ns, stored) = Existing(kind);
            Assert.True(await _api.DeleteAsync(type, ns, NameOf(stored), ResourceVersion(stored), dryRun: true, CancellationToken.None));
            AssertUnchanged(type, ns, stored);

            // The same conditional delete for real does remove it (so the read-back above can see a delete).
            Assert.True(await _api.DeleteAsync(type, ns, NameOf(stored), ResourceVersion(stored), dryRun: false, CancellationToken.None));
            var gone = Read(type, ns, NameOf(stored));
            Assert.True(gone == null || gone["metadata"]!["deletionTimestamp"] != null, $"{kind} still present after the real delete");
        }

        [Fact]
        public async Task Dry_run_delete_with_a_stale_precondition_is_refused_like_a_real_one()
        {
            var (type, ns, stored) = Existing("ConfigMap");
            _cluster.KubectlOk("-n", _ns, "label", "configmap", NameOf(stored), "other=change");
            await Assert.ThrowsAsync<KubeConflictException>(() =>
                _api.DeleteAsync(type, ns, NameOf(stored), ResourceVersion(stored), dryRun: true, CancellationToken.None));
            Assert.NotNull(Read(type, ns, NameOf(stored)));
        }
    }
}
