using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;
using CalicoAlp.Core.Results;
using CalicoAlp.Tests.Infrastructure;
using Xunit;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>
    /// Enable/Disable-CalicoAppLayerPolicy through the change runner: -WhatIf emits the results it would produce, writes
    /// nothing and is validated by the API server (a refused dry run is an error for that item); a write that RBAC
    /// forbids stops the run before anything is written.
    /// </summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class AppLayerPolicyChangeFlowTests : IDisposable
    {
        private const string FelixPatch = "- apiGroups: [crd.projectcalico.org]\n  resources: [felixconfigurations]\n  verbs: [patch, update, create]\n";
        private readonly ClusterFixture _cluster;
        private readonly CmdletHost _host = new();

        public AppLayerPolicyChangeFlowTests(ClusterFixture cluster)
        {
            _cluster = cluster;
            AlpClusterState.Reset(cluster);
        }

        public void Dispose()
        {
            AlpClusterState.Reset(_cluster);
            _host.Dispose();
        }

        private Hashtable Admin() => new() { ["Kubeconfig"] = _cluster.Kubeconfig, ["Context"] = "admin" };

        private static Hashtable As(RestrictedUser user) => new() { ["Kubeconfig"] = user.Kubeconfig, ["Context"] = RestrictedUser.ContextName };

        private string? FelixPrefix() => _cluster.GetJson("get", "felixconfigurations.crd.projectcalico.org", "default")?["spec"]?["policySyncPathPrefix"]?.GetValue<string>();

        private bool Exists(string resource, string name) => _cluster.GetJson("-n", "istio-system", "get", resource, name) != null;

        private bool AnyMeshObject() => Exists("serviceentries.networking.istio.io", "dikastes") || Exists("destinationrules.networking.istio.io", "dikastes-mtls")
                                        || Exists("envoyfilters.networking.istio.io", "ext-authz");

        private bool AllMeshObjects() => Exists("serviceentries.networking.istio.io", "dikastes") && Exists("destinationrules.networking.istio.io", "dikastes-mtls")
                                         && Exists("envoyfilters.networking.istio.io", "ext-authz");

        [Fact]
        public void Enable_WhatIf_reports_each_change_the_API_server_refuses_and_writes_nothing()
        {
            using var user = new RestrictedUser(_cluster, RestrictedUser.ReadEverything + FelixPatch);
            var p = As(user);
            p["WhatIf"] = true;
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", p);
            Assert.Null(r.Terminating);
            // The Felix patch passed the server's dry run; the three mesh objects were refused, one error each.
            var felix = Assert.Single(r.OutputOf<ResourceChange>());
            Assert.Equal(("FelixConfiguration", ChangeAction.Updated, true), (felix.Kind, felix.Action, felix.WhatIf));
            Assert.Equal(3, r.Errors.Count);
            Assert.All(r.Errors, e => Assert.Equal(ErrorCategory.PermissionDenied, e.CategoryInfo.Category));
            foreach (var kind in new[] { "serviceentries", "destinationrules", "envoyfilters" })
            {
                Assert.Contains(r.Errors, e => e.Exception.Message.Contains($"may not create {kind}.networking.istio.io", StringComparison.Ordinal));
            }
            Assert.Null(FelixPrefix());
            Assert.False(AnyMeshObject());
        }

        [Fact]
        public void Enable_stops_before_any_write_when_RBAC_forbids_one_of_them()
        {
            // Everything Enable writes except creating the EnvoyFilter.
            using var user = new RestrictedUser(_cluster, RestrictedUser.ReadEverything + FelixPatch +
                "- apiGroups: [networking.istio.io]\n  resources: [serviceentries, destinationrules]\n  verbs: [create, update]\n");
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", As(user));
            Assert.NotNull(r.Terminating);
            Assert.Equal(ErrorCategory.PermissionDenied, r.Terminating!.CategoryInfo.Category);
            Assert.Contains("may not create envoyfilters.networking.istio.io 'ext-authz'", r.Terminating.Exception.Message, StringComparison.Ordinal);
            Assert.Empty(r.Output);
            Assert.Null(FelixPrefix());
            Assert.False(AnyMeshObject());
        }

        [Fact]
        public void Disable_WhatIf_emits_the_deletions_validated_by_the_API_server_and_deletes_nothing()
        {
            _host.Invoke("Enable-CalicoAppLayerPolicy", Admin()).AssertSuccess();
            var p = Admin();
            p["WhatIf"] = true;
            p["Force"] = true;
            p["Verbose"] = true;
            var r = _host.Invoke("Disable-CalicoAppLayerPolicy", p);
            r.AssertSuccess();
            var results = r.OutputOf<ResourceChange>().ToList();
            Assert.Equal(new[] { "EnvoyFilter:Deleted", "DestinationRule:Deleted", "ServiceEntry:Deleted", "FelixConfiguration:Updated" },
                results.Select(x => $"{x.Kind}:{x.Action}"));
            Assert.All(results, x => Assert.True(x.WhatIf));
            Assert.Equal(4, r.Verbose.Count(v => v.StartsWith("Server-side dry run of", StringComparison.Ordinal) && v.EndsWith("accepted.", StringComparison.Ordinal)));
            Assert.True(AllMeshObjects(), "a -WhatIf deleted an object");
            Assert.Equal("/var/run/nodeagent", FelixPrefix());

            // The same preview as a user who may read but not write: every item is refused by the server.
            using var user = new RestrictedUser(_cluster, RestrictedUser.ReadEverything);
            var q = As(user);
            q["WhatIf"] = true;
            q["Force"] = true;
            var refused = _host.Invoke("Disable-CalicoAppLayerPolicy", q);
            Assert.Null(refused.Terminating);
            Assert.Empty(refused.Output);
            Assert.Equal(4, refused.Errors.Count);
            Assert.Equal(3, refused.Errors.Count(e => e.Exception.Message.Contains("may not delete", StringComparison.Ordinal)));
            Assert.Contains(refused.Errors, e => e.Exception.Message.Contains("may not patch felixconfigurations", StringComparison.Ordinal));
            Assert.True(AllMeshObjects());
        }

        [Fact]
        public void Disable_stops_before_any_delete_when_RBAC_forbids_the_Felix_patch()
        {
            _host.Invoke("Enable-CalicoAppLayerPolicy", Admin()).AssertSuccess();
            using var user = new RestrictedUser(_cluster, RestrictedUser.ReadEverything +
                "- apiGroups: [networking.istio.io]\n  resources: [serviceentries, destinationrules, envoyfilters]\n  verbs: [delete]\n");
            var p = As(user);
            p["Force"] = true;
            var r = _host.Invoke("Disable-CalicoAppLayerPolicy", p);
            Assert.NotNull(r.Terminating);
            Assert.Equal(ErrorCategory.PermissionDenied, r.Terminating!.CategoryInfo.Category);
            Assert.Contains("may not patch felixconfigurations.crd.projectcalico.org 'default'", r.Terminating.Exception.Message, StringComparison.Ordinal);
            Assert.True(AllMeshObjects(), "an object was deleted before the refused write");
            Assert.Equal("/var/run/nodeagent", FelixPrefix());
        }
    }
}
