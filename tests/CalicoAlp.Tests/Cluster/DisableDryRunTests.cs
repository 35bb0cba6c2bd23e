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
    /// Disable-CalicoAppLayerPolicy's server-side dry runs (-WhatIf, and the validation phase before a real Disable)
    /// delete nothing: the three authorization-service objects are still in the real API server afterwards.
    /// </summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class DisableDryRunTests : IDisposable
    {
        private const string MeshObjects = "serviceentries.networking.istio.io,destinationrules.networking.istio.io,envoyfilters.networking.istio.io";
        private readonly ClusterFixture _cluster;
        private readonly CmdletHost _host = new();

        public DisableDryRunTests(ClusterFixture cluster)
        {
            _cluster = cluster;
            AlpClusterState.Reset(cluster);
        }

        public void Dispose()
        {
            AlpClusterState.Reset(_cluster);
            _host.Dispose();
        }

        private Hashtable Params(string context = "admin") => new() { ["Kubeconfig"] = _cluster.Kubeconfig, ["Context"] = context };

        private string? FelixPrefix() => _cluster.GetJson("get", "felixconfigurations.crd.projectcalico.org", "default")?["spec"]?["policySyncPathPrefix"]?.GetValue<string>();

        /// <summary>`kubectl get serviceentries,destinationrules,envoyfilters -n istio-system`, CalicoAlp's three objects only (the fixture has other DestinationRules).</summary>
        private string[] CalicoAlpMeshObjects() => _cluster.KubectlOk("-n", "istio-system", "get", MeshObjects, "-l", "app.kubernetes.io/managed-by=calicoalp", "-o", "name")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).OrderBy(n => n, StringComparer.Ordinal).ToArray();

        private static readonly string[] AllThree =
        {
            "destinationrule.networking.istio.io/dikastes-mtls",
            "envoyfilter.networking.istio.io/ext-authz",
            "serviceentry.networking.istio.io/dikastes",
        };

        [Fact]
        public void Disable_WhatIf_deletes_nothing()
        {
            _host.Invoke("Enable-CalicoAppLayerPolicy", Params()).AssertSuccess();
            Assert.Equal(AllThree, CalicoAlpMeshObjects());

            var p = Params();
            p["WhatIf"] = true;
            p["Verbose"] = true;
            var r = _host.Invoke("Disable-CalicoAppLayerPolicy", p);
            r.AssertSuccess();
            // -WhatIf emits the results it would produce (the three deletes and the Felix patch), each marked as not applied
            Assert.Equal(4, r.Output.Count);
            Assert.All(r.Output, o => Assert.True(Assert.IsType<ResourceChange>(o).WhatIf));
            // the three deletes and the Felix patch were each checked by the server
            Assert.Equal(4, r.Verbose.Count(v => v.StartsWith("Server-side dry run of", StringComparison.Ordinal) && v.EndsWith("accepted.", StringComparison.Ordinal)));

            Assert.Equal(AllThree, CalicoAlpMeshObjects());
            Assert.Equal("/var/run/nodeagent", FelixPrefix());
        }

        [Fact]
        public void A_user_who_may_delete_the_mesh_objects_but_not_patch_Felix_gets_KubeForbidden_and_nothing_is_deleted()
        {
            _host.Invoke("Enable-CalicoAppLayerPolicy", Params()).AssertSuccess();
            var user = _cluster.Env["NOACCESS_USER"];
            _cluster.KubectlApply($@"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: calicoalp-test-mesh-deleter}}
rules:
- apiGroups: [crd.projectcalico.org, networking.istio.io, authentication.istio.io, security.istio.io]
  resources: ['*']
  verbs: [get, list, watch]
- apiGroups: [networking.istio.io]
  resources: [serviceentries, destinationrules, envoyfilters]
  verbs: [delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: calicoalp-test-mesh-deleter}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: calicoalp-test-mesh-deleter}}
subjects:
- {{apiGroup: rbac.authorization.k8s.io, kind: User, name: {user}}}
");
            try
            {
                // The role is in force: the user may delete a ServiceEntry (server-side dry run) but not patch Felix.
                Assert.Equal("yes", _cluster.KubectlAs("noaccess", "auth", "can-i", "delete", "serviceentries.networking.istio.io", "-n", "istio-system").StdOut.Trim());
                Assert.Equal("no", _cluster.KubectlAs("noaccess", "auth", "can-i", "patch", "felixconfigurations.crd.projectcalico.org").StdOut.Trim());

                var p = Params("noaccess");
                p["Force"] = true;
                var r = _host.Invoke("Disable-CalicoAppLayerPolicy", p);
                Assert.NotNull(r.Terminating);
                Assert.Equal("KubeForbidden,CalicoAlp.Cmdlets.DisableCalicoAppLayerPolicyCommand", r.Terminating!.FullyQualifiedErrorId);
                Assert.Equal(ErrorCategory.PermissionDenied, r.Terminating.CategoryInfo.Category);
                Assert.Contains("may not patch felixconfigurations.crd.projectcalico.org 'default'", r.Terminating.Exception.Message);

                Assert.Equal(AllThree, CalicoAlpMeshObjects());
                Assert.Equal("/var/run/nodeagent", FelixPrefix());
            }
            finally
            {
                _cluster.Kubectl("delete", "clusterrolebinding", "calicoalp-test-mesh-deleter", "--ignore-not-found");
                _cluster.Kubectl("delete", "clusterrole", "calicoalp-test-mesh-deleter", "--ignore-not-found");
            }
        }
    }
}
