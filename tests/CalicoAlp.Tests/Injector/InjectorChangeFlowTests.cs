using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;
using CalicoAlp.Core.Injector;
using CalicoAlp.Tests.Infrastructure;
using Xunit;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Tests.Injector
{
    /// <summary>
    /// Set-/Remove-IstioInjectorPatch (live) through the change runner: -WhatIf emits the result, writes nothing and is
    /// validated by the API server; a write that RBAC forbids stops before the backup is created.
    /// </summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class InjectorChangeFlowTests : IDisposable
    {
        private const string Backup = "istio-sidecar-injector-calicoalp-backup";
        private const string CreateConfigMaps = "- apiGroups: ['']\n  resources: [configmaps]\n  verbs: [create]\n";
        private readonly ClusterFixture _cluster;
        private readonly CmdletHost _host = new();
        private readonly string _stock;

        public InjectorChangeFlowTests(ClusterFixture cluster)
        {
            _cluster = cluster;
            InjectorLiveTests.Restore(cluster);
            _stock = Config();
        }

        public void Dispose()
        {
            InjectorLiveTests.Restore(_cluster);
            _host.Dispose();
        }

        private Hashtable Admin() => new() { ["Kubeconfig"] = _cluster.Kubeconfig, ["Context"] = "admin", ["Confirm"] = false };

        private static Hashtable As(RestrictedUser user) => new() { ["Kubeconfig"] = user.Kubeconfig, ["Context"] = RestrictedUser.ContextName, ["Confirm"] = false };

        private string Config() => _cluster.GetJson("-n", "istio-system", "get", "configmap", "istio-sidecar-injector")!["data"]!["config"]!.GetValue<string>();

        private bool BackupExists() => _cluster.GetJson("-n", "istio-system", "get", "configmap", Backup) != null;

        /// <summary>The injector patched by admin, with the backup deleted again (so the next change would create it).</summary>
        private string PatchedWithoutBackup()
        {
            _host.Invoke("Set-IstioInjectorPatch", Admin()).AssertSuccess();
            _cluster.KubectlOk("-n", "istio-system", "delete", "configmap", Backup);
            return Config();
        }

        [Fact]
        public void Set_WhatIf_emits_the_result_validated_by_the_API_server_and_writes_nothing()
        {
            var p = Admin();
            p["WhatIf"] = true;
            p["Verbose"] = true;
            var r = _host.Invoke("Set-IstioInjectorPatch", p);
            r.AssertSuccess();
            var result = Assert.Single(r.OutputOf<InjectorPatchResult>());
            Assert.Equal((InjectorEditAction.Created, true), (result.Action, result.WhatIf));
            Assert.Equal("istio-system/" + Backup, result.BackupName);
            Assert.Contains(r.Verbose, v => v.StartsWith("Server-side dry run of", StringComparison.Ordinal) && v.EndsWith("accepted.", StringComparison.Ordinal));
            Assert.Equal(_stock, Config());
            Assert.False(BackupExists());

            using var user = new RestrictedUser(_cluster, RestrictedUser.ReadEverything);
            var q = As(user);
            q["WhatIf"] = true;
            var refused = _host.Invoke("Set-IstioInjectorPatch", q);
            Assert.Empty(refused.Output);
            var err = Assert.Single(refused.Errors);
            Assert.Equal(ErrorCategory.PermissionDenied, err.CategoryInfo.Category);
            Assert.Contains($"may not create configmaps '{Backup}'", err.Exception.Message, StringComparison.Ordinal);
            Assert.Equal(_stock, Config());
            Assert.False(BackupExists());
        }

        [Fact]
        public void Set_stops_before_the_backup_when_RBAC_forbids_the_ConfigMap_update()
        {
            using var user = new RestrictedUser(_cluster, RestrictedUser.ReadEverything + CreateConfigMaps);
            var r = _host.Invoke("Set-IstioInjectorPatch", As(user));
            Assert.Empty(r.Output);
            var err = Assert.Single(r.Errors);
            Assert.Equal(ErrorCategory.PermissionDenied, err.CategoryInfo.Category);
            Assert.Contains("may not update configmaps 'istio-sidecar-injector'", err.Exception.Message, StringComparison.Ordinal);
            Assert.False(BackupExists(), "the backup was written before the refused update");
            Assert.Equal(_stock, Config());
        }

        [Fact]
        public void Remove_WhatIf_emits_the_result_validated_by_the_API_server_and_writes_nothing()
        {
            var patched = PatchedWithoutBackup();
            var p = Admin();
            p["WhatIf"] = true;
            var r = _host.Invoke("Remove-IstioInjectorPatch", p);
            r.AssertSuccess();
            var result = Assert.Single(r.OutputOf<InjectorPatchResult>());
            Assert.Equal((InjectorEditAction.Removed, true), (result.Action, result.WhatIf));
            Assert.NotNull(result.Diff);
            Assert.Equal(patched, Config());
            Assert.False(BackupExists());

            using var user = new RestrictedUser(_cluster, RestrictedUser.ReadEverything + CreateConfigMaps);
            var q = As(user);
            q["WhatIf"] = true;
            var refused = _host.Invoke("Remove-IstioInjectorPatch", q);
            Assert.Empty(refused.Output);
            Assert.Contains("may not update configmaps 'istio-sidecar-injector'", Assert.Single(refused.Errors).Exception.Message, StringComparison.Ordinal);
            Assert.Equal(patched, Config());
            Assert.False(BackupExists());
        }

        [Fact]
        public void Remove_stops_before_the_backup_when_RBAC_forbids_the_ConfigMap_update()
        {
            var patched = PatchedWithoutBackup();
            using var user = new RestrictedUser(_cluster, RestrictedUser.ReadEverything + CreateConfigMaps);
            var r = _host.Invoke("Remove-IstioInjectorPatch", As(user));
            Assert.Empty(r.Output);
            Assert.Contains("may not update configmaps 'istio-sidecar-injector'", Assert.Single(r.Errors).Exception.Message, StringComparison.Ordinal);
            Assert.False(BackupExists(), "the backup was written before the refused update");
            Assert.Equal(patched, Config());
        }
    }
}
