using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Cmdlets;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Injector;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Results;
using Xunit;

namespace CalicoAlp.Tests.Injector
{
    /// <summary>Live mode against an in-process fake API server (the real-cluster tests are separate).</summary>
    public sealed class InjectorLiveTests : IDisposable
    {
        private const string InjectorPath = "/api/v1/namespaces/istio-system/configmaps/istio-sidecar-injector";
        private const string BackupPath = "/api/v1/namespaces/istio-system/configmaps/istio-sidecar-injector-calicoalp-backup";
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "calicoalp-live-" + Guid.NewGuid().ToString("N"));
        private readonly FakeKubeApiServer _server = new();
        private readonly string _calicoConfig;
        private readonly string _stockConfig;

        public InjectorLiveTests()
        {
            Directory.CreateDirectory(_dir);
            _calicoConfig = InjectorConfigDocument.Load(SharedFiles.Read(Path.Combine(SharedFiles.Rendered("v3.12"), "istio-inject-configmap-1.4.2.yaml"))).Config;
            _stockConfig = InjectorTemplateEditor.Remove(_calicoConfig).After;
            _server.Put(InjectorPath, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ConfigMap",
                ["metadata"] = new JsonObject { ["name"] = "istio-sidecar-injector", ["namespace"] = "istio-system", ["labels"] = new JsonObject { ["istio"] = "sidecar-injector" } },
                ["data"] = new JsonObject { ["config"] = _stockConfig, ["values"] = "{\"global\":{\"tag\":\"1.4.2\"}}" },
            });
            _server.Put("/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node", new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = "calico-node", ["namespace"] = "kube-system" },
                ["spec"] = new JsonObject { ["template"] = new JsonObject { ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "calico-node", ["image"] = "docker.io/calico/node:v3.12.3" }) } } },
            });
            _server.Put("/api/v1/namespaces/app/pods/old", Pod("old", "app", "istio-proxy"));
            _server.Put("/api/v1/namespaces/app/pods/new", Pod("new", "app", "istio-proxy", "dikastes"));
            _server.Put("/api/v1/namespaces/app/pods/plain", Pod("plain", "app"));
        }

        private static JsonObject Pod(string name, string ns, params string[] sidecars) => new()
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new[] { "app" }.Concat(sidecars).Select(c => (JsonNode)new JsonObject { ["name"] = c }).ToArray()) },
            ["status"] = new JsonObject { ["phase"] = "Running" },
        };

        public void Dispose()
        {
            _server.Dispose();
            Directory.Delete(_dir, recursive: true);
        }

        private KubeApi Connect() =>
            KubeConnector.Connect(new KubeConnectionOptions { KubeconfigPaths = new[] { _server.WriteKubeconfig(_dir) }, MaxRetries = 0 }, NullOperationLog.Instance);

        private string Config(string path) => _server.Objects[path]["data"]!["config"]!.GetValue<string>();

        [Fact]
        public async Task Set_backs_up_then_writes_guarded_and_reapplies_after_a_concurrent_change()
        {
            using var api = Connect();
            var plan = await InjectorLive.PlanAsync(api, InjectorLiveMode.Set, null, null, null, CancellationToken.None);
            Assert.True(plan.IsWrite);
            Assert.Equal("3.12.3", plan.Options!.CalicoVersion.ToString());
            Assert.Contains("calico-node", plan.CalicoVersionSource, StringComparison.Ordinal);
            Assert.Equal("1.4.2", plan.Edit.IstioVersion.Version);

            // someone changes the ConfigMap between our read and our write
            _server.BeforeFirstPut = s =>
            {
                var cm = (JsonObject)s.Objects[InjectorPath].DeepClone();
                cm["data"]!["values"] = "{\"global\":{\"tag\":\"1.4.2\",\"hub\":\"mirror\"}}";
                s.Put(InjectorPath, cm);
            };
            var result = await InjectorLive.ApplyAsync(api, plan, dryRun: false, showDiff: true, CancellationToken.None);

            Assert.Equal(InjectorEditAction.Created, result.Action);
            Assert.Equal("istio-system/istio-sidecar-injector-calicoalp-backup", result.BackupName);
            Assert.Equal(_calicoConfig, Config(InjectorPath));
            Assert.Contains("mirror", _server.Objects[InjectorPath]["data"]!["values"]!.GetValue<string>(), StringComparison.Ordinal); // the other writer's change survived
            Assert.Equal(_stockConfig, Config(BackupPath));
            Assert.Equal(new[] { $"POST /api/v1/namespaces/istio-system/configmaps/istio-sidecar-injector-calicoalp-backup", $"PUT {InjectorPath}", $"PUT {InjectorPath}" }, _server.Writes.ToArray());
            Assert.Equal(new[] { "app/old" }, await InjectorLive.PodsWithoutDikastesAsync(api, CancellationToken.None));

            // idempotent: nothing to write the second time
            var again = await InjectorLive.PlanAsync(api, InjectorLiveMode.Set, "3.12.3", null, null, CancellationToken.None);
            Assert.False(again.IsWrite);
            Assert.Equal(InjectorEditAction.Unchanged, again.Edit.Action);
            Assert.Null(again.Backup);
        }

        [Fact]
        public async Task Remove_keeps_the_first_backup_and_FromBackup_restores_it()
        {
            using var api = Connect();
            var set = await InjectorLive.PlanAsync(api, InjectorLiveMode.Set, "3.12.3", null, null, CancellationToken.None);
            await InjectorLive.ApplyAsync(api, set, false, false, CancellationToken.None);
            var upgrade = await InjectorLive.PlanAsync(api, InjectorLiveMode.Set, "3.16.0", null, null, CancellationToken.None);
            Assert.Equal(ChangeAction.Unchanged, upgrade.Backup!.Action);
            await InjectorLive.ApplyAsync(api, upgrade, false, false, CancellationToken.None);
            Assert.Contains("calico/dikastes:v3.16.0", Config(InjectorPath), StringComparison.Ordinal);
            Assert.Equal(_stockConfig, Config(BackupPath)); // not overwritten by the second change

            var remove = await InjectorLive.PlanAsync(api, InjectorLiveMode.Remove, null, null, null, CancellationToken.None);
            var removed = await InjectorLive.ApplyAsync(api, remove, false, false, CancellationToken.None);
            Assert.Equal(InjectorEditAction.Removed, removed.Action);
            Assert.Equal(_stockConfig, Config(InjectorPath));

            // FromBackup puts the saved bytes back, whatever the config is now
            var cm = (JsonObject)_server.Objects[InjectorPath].DeepClone();
            cm["data"]!["config"] = _calicoConfig;
            _server.Put(InjectorPath, cm);
            var restore = await InjectorLive.PlanAsync(api, InjectorLiveMode.RestoreBackup, null, null, null, CancellationToken.None);
            var restored = await InjectorLive.ApplyAsync(api, restore, false, false, CancellationToken.None);
            Assert.Equal(InjectorEditAction.Restored, restored.Action);
            Assert.Equal(_stockConfig, Config(InjectorPath));
        }

        [Fact]
        public async Task Missing_configmap_and_missing_backup_are_errors()
        {
            using var api = Connect();
            var restore = await Assert.ThrowsAsync<AlpException>(() => InjectorLive.PlanAsync(api, InjectorLiveMode.RestoreBackup, null, null, null, CancellationToken.None));
            Assert.Equal("InjectorBackupNotFound", restore.ErrorId);
            var missing = await Assert.ThrowsAsync<AlpException>(() => InjectorLive.PlanAsync(api, InjectorLiveMode.Set, "3.12.3", null, null, CancellationToken.None, "other-ns"));
            Assert.Equal("IstioInjectorNotFound", missing.ErrorId);
        }

        [Fact]
        public void Cmdlet_live_WhatIf_writes_nothing_and_then_patches()
        {
            var kubeconfig = _server.WriteKubeconfig(_dir);
            var iss = InitialSessionState.CreateDefault2();
            iss.Commands.Add(new SessionStateCmdletEntry("Set-IstioInjectorPatch", typeof(SetIstioInjectorPatchCommand), null));
            using var ps = PowerShell.Create(iss);
            ps.AddScript($"Set-IstioInjectorPatch -Kubeconfig '{kubeconfig}' -WhatIf");
            var whatIf = ps.Invoke();
            Assert.Empty(ps.Streams.Error);
            var w = (InjectorPatchResult)Assert.Single(whatIf).BaseObject;
            Assert.True(w.WhatIf);
            Assert.Contains("+  - name: dikastes", w.Diff, StringComparison.Ordinal);
            Assert.DoesNotContain(_server.Writes, x => !x.EndsWith("(dry run)", StringComparison.Ordinal));

            ps.Commands.Clear();
            ps.AddScript($"Set-IstioInjectorPatch -Kubeconfig '{kubeconfig}' -Confirm:$false -WarningVariable w; $w");
            var output = ps.Invoke();
            Assert.Empty(ps.Streams.Error);
            var r = (InjectorPatchResult)output[0].BaseObject;
            Assert.Equal(InjectorEditAction.Created, r.Action);
            Assert.Equal("fake", r.Context);
            Assert.Equal("1.4.2", r.IstioVersion);
            Assert.Equal("calico/dikastes:v3.12.3", r.Image);
            Assert.Equal(new[] { "app/old" }, r.PodsWithoutDikastes);
            Assert.Contains("app/old", output[1].ToString(), StringComparison.Ordinal);
            Assert.Equal(_calicoConfig, Config(InjectorPath));
        }
    }
}
