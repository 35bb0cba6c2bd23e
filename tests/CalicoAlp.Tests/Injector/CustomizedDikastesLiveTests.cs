using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;
using System.Text.Json.Nodes;
using CalicoAlp.Core.Injector;
using CalicoAlp.Tests.Infrastructure;
using Xunit;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Tests.Injector
{
    /// <summary>
    /// Issue 9 item 4 against the real local API server: a customised dikastes container in the live injector ConfigMap is
    /// refused (the ConfigMap and the backup read back unchanged), and -Force keeps the customised config in the backup.
    /// </summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class CustomizedDikastesLiveTests : IDisposable
    {
        private readonly ClusterFixture _cluster;
        private readonly CmdletHost _host = new();
        private readonly string _stock;

        public CustomizedDikastesLiveTests(ClusterFixture cluster)
        {
            _cluster = cluster;
            InjectorLiveTests.Restore(cluster);
            _stock = Injector()["data"]!["config"]!.GetValue<string>();
        }

        public void Dispose()
        {
            InjectorLiveTests.Restore(_cluster);
            _host.Dispose();
        }

        public static System.Collections.Generic.IEnumerable<object[]> All() => DikastesCustomizations.All();

        private JsonObject Injector() => _cluster.GetJson("-n", "istio-system", "get", "configmap", "istio-sidecar-injector")!;

        private JsonObject? BackupMap() => _cluster.GetJson("-n", "istio-system", "get", "configmap", InjectorLiveTests.Backup);

        private InvocationResult Set(bool force)
        {
            var p = new Hashtable { ["Kubeconfig"] = _cluster.Kubeconfig, ["Context"] = "admin", ["Confirm"] = false };
            if (force) p["Force"] = true;
            return _host.Invoke("Set-IstioInjectorPatch", p);
        }

        /// <summary>Patches the stock config with Calico's additions (a first Set: the backup holds the stock config), then customises it by hand.</summary>
        private (string Config, string[] Lost) CustomizeAfterFirstSet(string name)
        {
            Set(force: false).AssertSuccess();
            var patched = Injector()["data"]!["config"]!.GetValue<string>();
            var (config, lost) = DikastesCustomizations.Apply(patched, name);
            var patch = new JsonObject { ["data"] = new JsonObject { ["config"] = config } }.ToJsonString();
            _cluster.KubectlOk("-n", "istio-system", "patch", "configmap", "istio-sidecar-injector", "--type=merge", "-p", patch);
            return (config, lost);
        }

        [Theory]
        [MemberData(nameof(All))]
        public void Refused_and_the_configmap_and_backup_read_back_unchanged(string name)
        {
            var (config, lost) = CustomizeAfterFirstSet(name);
            var before = Injector();
            var backupBefore = BackupMap()!.ToJsonString();

            var r = Set(force: false);
            Assert.Empty(r.Output);
            var e = Assert.Single(r.Errors);
            Assert.Equal("CustomizedDikastes,CalicoAlp.Cmdlets.SetIstioInjectorPatchCommand", e.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.InvalidOperation, e.CategoryInfo.Category);
            Assert.Equal("ConfigMap istio-system/istio-sidecar-injector", e.TargetObject);
            foreach (var line in lost) Assert.Contains(line, e.Exception.Message, StringComparison.Ordinal);

            var after = Injector();
            Assert.Equal(config, after["data"]!["config"]!.GetValue<string>());
            Assert.Equal(before["metadata"]!["resourceVersion"]!.GetValue<string>(), after["metadata"]!["resourceVersion"]!.GetValue<string>());
            Assert.Equal(backupBefore, BackupMap()!.ToJsonString());
        }

        [Theory]
        [MemberData(nameof(All))]
        public void With_Force_the_customised_config_is_kept_in_a_backup_key(string name)
        {
            var (config, lost) = CustomizeAfterFirstSet(name);
            var rv = Injector()["metadata"]!["resourceVersion"]!.GetValue<string>();

            var r = Set(force: true);
            r.AssertSuccess();
            var result = Assert.Single(r.OutputOf<InjectorPatchResult>());
            Assert.Equal(InjectorEditAction.Updated, result.Action);
            Assert.Equal(InjectorBackup.ReplacedConfigKeyPrefix + rv, result.BackupKey);
            Assert.Contains(r.Warnings, w => w.Contains(result.BackupKey!, StringComparison.Ordinal) && w.Contains(lost[0], StringComparison.Ordinal));

            // Calico's container again; the backup still holds the stock config and now also the customised one
            Assert.Equal(InjectorTemplateEditor.Set(_stock, DikastesSidecarOptions.From("3.12.3", null)).After, Injector()["data"]!["config"]!.GetValue<string>());
            var backup = BackupMap()!;
            Assert.Equal(_stock, backup["data"]!["config"]!.GetValue<string>());
            Assert.Equal(config, backup["data"]![result.BackupKey!]!.GetValue<string>());

            // a plain Set afterwards has nothing to refuse and writes nothing
            var again = Set(force: false);
            again.AssertSuccess();
            Assert.Equal(InjectorEditAction.Unchanged, Assert.Single(again.OutputOf<InjectorPatchResult>()).Action);
        }

        [Fact]
        public void With_Force_before_any_backup_the_new_backup_holds_the_customised_config()
        {
            var (config, _) = DikastesCustomizations.Apply(InjectorTemplateEditor.Set(_stock, DikastesSidecarOptions.From("3.12.3", null)).After, "env");
            var patch = new JsonObject { ["data"] = new JsonObject { ["config"] = config } }.ToJsonString();
            _cluster.KubectlOk("-n", "istio-system", "patch", "configmap", "istio-sidecar-injector", "--type=merge", "-p", patch);
            Assert.Null(BackupMap());

            var r = Set(force: true);
            r.AssertSuccess();
            var result = Assert.Single(r.OutputOf<InjectorPatchResult>());
            Assert.Null(result.BackupKey);
            Assert.Equal(config, BackupMap()!["data"]!["config"]!.GetValue<string>());
            Assert.Single(result.ReplacedCustomizations);
        }
    }
}
