using System;
using System.Collections;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Injector;
using CalicoAlp.Testing.Faults;
using CalicoAlp.Tests.Infrastructure;
using Xunit;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Tests.Injector
{
    /// <summary>Set-/Remove-IstioInjectorPatch live, against the real local API server with the stock Istio 1.4.2 injector.</summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class InjectorLiveTests : IDisposable
    {
        internal const string Backup = "istio-sidecar-injector-calicoalp-backup";
        private readonly ClusterFixture _cluster;
        private readonly CmdletHost _host = new();
        private readonly string _stock;
        private readonly string _values;

        public InjectorLiveTests(ClusterFixture cluster)
        {
            _cluster = cluster;
            Restore(cluster);
            var cm = cluster.GetJson("-n", "istio-system", "get", "configmap", "istio-sidecar-injector")!;
            _stock = cm["data"]!["config"]!.GetValue<string>();
            _values = cm["data"]!["values"]!.GetValue<string>();
        }

        /// <summary>Puts the fixture's stock ConfigMap back and removes the backup.</summary>
        internal static void Restore(ClusterFixture cluster)
        {
            cluster.Kubectl("-n", "istio-system", "delete", "configmap", Backup, "--ignore-not-found");
            var r = ProcessRunner.Run("kubectl", new[] { "--kubeconfig", cluster.Kubeconfig, "--context", "admin", "replace", "-f",
                Path.Combine(RepoPaths.Root, "tests", "cluster", "fixture", "istio-sidecar-injector-configmap.yaml") });
            if (r.ExitCode != 0) throw new InvalidOperationException(r.Combined);
        }

        public void Dispose()
        {
            Restore(_cluster);
            _host.Dispose();
        }

        private Hashtable Params(string context = "admin") => new() { ["Kubeconfig"] = _cluster.Kubeconfig, ["Context"] = context, ["Confirm"] = false };

        private JsonObject Injector() => _cluster.GetJson("-n", "istio-system", "get", "configmap", "istio-sidecar-injector")!;

        private string Config() => Injector()["data"]!["config"]!.GetValue<string>();

        private string Expected(string calico = "3.12.3") => InjectorTemplateEditor.Set(_stock, DikastesSidecarOptions.From(calico, null)).After;

        [Fact]
        public void Set_patches_the_live_template_keeps_a_backup_and_a_second_run_writes_nothing()
        {
            var r = _host.Invoke("Set-IstioInjectorPatch", Params());
            r.AssertSuccess();
            var result = Assert.Single(r.OutputOf<InjectorPatchResult>());
            Assert.Equal(InjectorEditAction.Created, result.Action);
            Assert.Equal("1.4.2", result.IstioVersion);
            Assert.Equal("3.12.3", result.CalicoVersion); // from the calico-node DaemonSet
            Assert.Equal("calico/dikastes:v3.12.3", result.Image);
            Assert.Equal("istio-system/" + Backup, result.BackupName);
            Assert.Equal(_cluster.Kubeconfig, result.Kubeconfig);

            Assert.Equal(Expected(), Config());
            Assert.Equal(_values, Injector()["data"]!["values"]!.GetValue<string>()); // values untouched
            Assert.Equal(_stock, _cluster.GetJson("-n", "istio-system", "get", "configmap", Backup)!["data"]!["config"]!.GetValue<string>());

            var rv = Injector()["metadata"]!["resourceVersion"]!.GetValue<string>();
            var again = _host.Invoke("Set-IstioInjectorPatch", Params());
            again.AssertSuccess();
            Assert.Equal(InjectorEditAction.Unchanged, Assert.Single(again.OutputOf<InjectorPatchResult>()).Action);
            Assert.Equal(rv, Injector()["metadata"]!["resourceVersion"]!.GetValue<string>());
        }

        [Fact]
        public void WhatIf_shows_the_diff_and_writes_nothing()
        {
            var p = Params();
            p["WhatIf"] = true;
            var r = _host.Invoke("Set-IstioInjectorPatch", p);
            r.AssertSuccess();
            var result = Assert.Single(r.OutputOf<InjectorPatchResult>());
            Assert.True(result.WhatIf);
            Assert.Contains(result.Diff!.Split('\n'), l => l.StartsWith('+') && l.TrimStart('+', ' ') == "- name: dikastes");
            Assert.Equal(_stock, Config());
            Assert.Null(_cluster.GetJson("-n", "istio-system", "get", "configmap", Backup));
        }

        [Fact]
        [Trait("Category", "Shared")]
        public void An_older_patch_is_updated_in_place_and_Remove_and_FromBackup_restore_the_stock_template()
        {
            _host.Invoke("Set-IstioInjectorPatch", Params()).AssertSuccess();
            var upgrade = Params();
            upgrade["CalicoVersion"] = "3.16.0";
            var up = _host.Invoke("Set-IstioInjectorPatch", upgrade);
            up.AssertSuccess();
            Assert.Equal(InjectorEditAction.Updated, Assert.Single(up.OutputOf<InjectorPatchResult>()).Action);
            Assert.Equal(Expected("3.16.0"), Config());
            Assert.Equal(1, CountOf(Config(), "- name: dikastes\n"));
            // the backup still holds the original, not the first patch
            Assert.Equal(_stock, _cluster.GetJson("-n", "istio-system", "get", "configmap", Backup)!["data"]!["config"]!.GetValue<string>());

            var rm = _host.Invoke("Remove-IstioInjectorPatch", Params());
            rm.AssertSuccess();
            Assert.Equal(InjectorEditAction.Removed, Assert.Single(rm.OutputOf<InjectorPatchResult>()).Action);
            Assert.Equal(_stock, Config());

            // Calico's own 1.4.2 file applied by hand, then restored from the backup byte for byte
            var calicoFile = InjectorConfigDocument.Load(File.ReadAllText(Path.Combine(RepoPaths.Shared, "upstream", "calico-alp", "rendered", "v3.12", "istio-inject-configmap-1.4.2.yaml"))).Config;
            PatchConfig(calicoFile);
            var restore = Params();
            restore["FromBackup"] = true;
            var back = _host.Invoke("Remove-IstioInjectorPatch", restore);
            back.AssertSuccess();
            Assert.Equal(InjectorEditAction.Restored, Assert.Single(back.OutputOf<InjectorPatchResult>()).Action);
            Assert.Equal(_stock, Config());
        }

        [Fact]
        [Trait("Category", "Shared")]
        public void Remove_also_takes_out_a_patch_made_with_Calicos_own_file()
        {
            var calicoFile = InjectorConfigDocument.Load(File.ReadAllText(Path.Combine(RepoPaths.Shared, "upstream", "calico-alp", "rendered", "v3.12", "istio-inject-configmap-1.4.2.yaml"))).Config;
            PatchConfig(calicoFile);
            var r = _host.Invoke("Remove-IstioInjectorPatch", Params());
            r.AssertSuccess();
            Assert.DoesNotContain("dikastes", Config(), StringComparison.Ordinal);
            Assert.Equal(InjectorTemplateEditor.Remove(calicoFile).After, Config());
        }

        private void PatchConfig(string config)
        {
            var patch = new JsonObject { ["data"] = new JsonObject { ["config"] = config } }.ToJsonString();
            _cluster.KubectlOk("-n", "istio-system", "patch", "configmap", "istio-sidecar-injector", "--type=merge", "-p", patch);
        }

        private static int CountOf(string text, string what)
        {
            var n = 0;
            for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal)) n++;
            return n;
        }

        [Fact]
        public void An_unrecognised_template_is_refused_and_nothing_is_written()
        {
            PatchConfig("policy: enabled\ntemplate: |\n  containers:\n  - name: istio-proxy\n");
            var rv = Injector()["metadata"]!["resourceVersion"]!.GetValue<string>();
            var r = _host.Invoke("Set-IstioInjectorPatch", Params());
            var err = Assert.Single(r.Errors);
            Assert.Equal("InjectorTemplateUnrecognized,CalicoAlp.Cmdlets.SetIstioInjectorPatchCommand", err.FullyQualifiedErrorId);
            Assert.Contains("volumes:", err.Exception.Message, StringComparison.Ordinal);
            Assert.Equal(rv, Injector()["metadata"]!["resourceVersion"]!.GetValue<string>());
            Assert.Null(_cluster.GetJson("-n", "istio-system", "get", "configmap", Backup));
        }

        [Fact]
        public void A_missing_configmap_and_a_missing_backup_are_clear_errors()
        {
            var p = Params();
            p["Namespace"] = "kube-public";
            var r = _host.Invoke("Set-IstioInjectorPatch", p);
            Assert.Equal("IstioInjectorNotFound,CalicoAlp.Cmdlets.SetIstioInjectorPatchCommand", Assert.Single(r.Errors).FullyQualifiedErrorId);

            var b = Params();
            b["FromBackup"] = true;
            var rb = _host.Invoke("Remove-IstioInjectorPatch", b);
            Assert.Equal("InjectorBackupNotFound,CalicoAlp.Cmdlets.RemoveIstioInjectorPatchCommand", Assert.Single(rb.Errors).FullyQualifiedErrorId);
        }

        [Fact]
        public void A_read_only_user_gets_a_403_and_nothing_is_written()
        {
            var r = _host.Invoke("Set-IstioInjectorPatch", Params("viewer"));
            var err = Assert.Single(r.Errors);
            Assert.Equal(ErrorCategory.PermissionDenied, err.CategoryInfo.Category);
            Assert.Contains("may not create configmaps 'istio-sidecar-injector-calicoalp-backup' in namespace 'istio-system'", err.Exception.Message, StringComparison.Ordinal);
            Assert.Equal(_stock, Config());
        }

        [Fact]
        public void Pods_injected_before_the_patch_are_listed()
        {
            var ns = "injold" + Guid.NewGuid().ToString("N")[..6];
            _cluster.KubectlApply($"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {{name: old, namespace: {ns}}}\nspec:\n  automountServiceAccountToken: false\n  containers: [{{name: app, image: 'nginx:1.19'}}, {{name: istio-proxy, image: 'docker.io/istio/proxyv2:1.4.2'}}]\n");
            try
            {
                var r = _host.Invoke("Set-IstioInjectorPatch", Params());
                r.AssertSuccess();
                Assert.Contains($"{ns}/old", Assert.Single(r.OutputOf<InjectorPatchResult>()).PodsWithoutDikastes!);
                Assert.Contains(r.Warnings, w => w.Contains($"{ns}/old", StringComparison.Ordinal));
            }
            finally
            {
                _cluster.Kubectl("delete", "namespace", ns, "--wait=false");
            }
        }

        [Fact]
        public async Task A_concurrent_edit_during_the_patch_survives()
        {
            var ca = await File.ReadAllTextAsync(_cluster.Env["CA_CERT"]);
            await using var proxy = await FaultProxy.StartAsync(_cluster.ApiServerUrl, ca);
            var kubeconfig = ProxyKubeconfig.Write(_cluster, proxy);
            var done = 0;
            proxy.AddFault(FaultRule.For("PUT", "configmaps/istio-sidecar-injector$").Before(ctx =>
            {
                if (!ctx.Query.Contains("dryRun", StringComparison.Ordinal) && Interlocked.Exchange(ref done, 1) == 0)
                {
                    _cluster.KubectlOk("-n", "istio-system", "label", "configmap", "istio-sidecar-injector", "team=mesh");
                }
                return Task.CompletedTask;
            }));
            try
            {
                var r = _host.Invoke("Set-IstioInjectorPatch", new Hashtable { ["Kubeconfig"] = kubeconfig, ["Confirm"] = false });
                r.AssertSuccess();
                Assert.Contains(proxy.Requests, q => q.Method == "PUT" && q.StatusCode == 409);
                var cm = Injector();
                Assert.Equal(Expected(), cm["data"]!["config"]!.GetValue<string>());
                Assert.Equal("mesh", cm["metadata"]!["labels"]!["team"]!.GetValue<string>());
            }
            finally
            {
                File.Delete(kubeconfig);
            }
        }
    }
}
