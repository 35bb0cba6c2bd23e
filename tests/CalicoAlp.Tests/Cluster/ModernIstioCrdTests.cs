using System;
using System.Collections;
using System.Linq;
using System.Text.Json.Nodes;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Generations;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Results;
using CalicoAlp.Tests.Infrastructure;
using Xunit;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>
    /// Enable/Disable against the structural schemas of newer Istio CRDs (upstream/calico-alp-modern/istio-crds):
    /// the API server prunes every field the schema does not know, so reading the objects back proves each form
    /// fits. Istio 1.15.2's DestinationRule/ServiceEntry/EnvoyFilter/PeerAuthentication serve on 1.20 as they are;
    /// of 1.28.1 the EnvoyFilter (storage v1alpha3) and PeerAuthentication (v1 + v1beta1) are used with their CEL rules
    /// stripped (kube-apiserver 1.20 has no CEL). 1.28.1's DestinationRule/ServiceEntry are not swapped in: their
    /// storage version v1 would stay in status.storedVersions and block restoring the fixture's v1alpha3-only CRDs.
    /// </summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class ModernIstioCrdTests : IDisposable
    {
        private readonly ClusterFixture _cluster;
        private readonly CmdletHost _host = new();
        private readonly IstioScenario _scenario;

        public ModernIstioCrdTests(ClusterFixture cluster)
        {
            _cluster = cluster;
            AlpClusterState.Reset(cluster);
            _scenario = new IstioScenario(cluster);
        }

        public void Dispose()
        {
            try
            {
                AlpClusterState.Reset(_cluster);
                _cluster.Kubectl("-n", "istio-system", "delete", "envoyfilters.networking.istio.io", "ext-authz", "--ignore-not-found");
            }
            finally
            {
                _scenario.Dispose();
                _host.Dispose();
            }
        }

        private Hashtable Params(params (string Key, object Value)[] extra)
        {
            var p = new Hashtable { ["Kubeconfig"] = _cluster.Kubeconfig, ["Context"] = "admin", ["Verbose"] = true };
            foreach (var (k, v) in extra) p[k] = v;
            return p;
        }

        private JsonObject? Get(string resource, string name) => _cluster.GetJson("-n", "istio-system", "get", resource, name);

        private void AssertStored(EnvoyFilterForm form)
        {
            foreach (var (type, obj) in AuthorizationService.Objects(form))
            {
                var live = Get(type.FullName, obj["metadata"]!["name"]!.GetValue<string>());
                Assert.NotNull(live);
                var diff = JsonDiff.Compare(obj["spec"], live!["spec"], "spec");
                Assert.True(diff.Count == 0, $"{type.Kind}: " + string.Join("; ", diff.Select(d => $"{d.Path}: {d.Before} -> {d.After}")));
            }
        }

        [Theory]
        [InlineData("1.10.2", "3.20.6")]
        [InlineData("1.15.2", "3.25.2")]
        public void Istio_1_10_and_1_15_get_EnvoyV3_objects_the_1_15_schema_keeps_whole(string istio, string calico)
        {
            _scenario.Crds("1.15.2").Calico(calico).Istiod(istio);
            _scenario.PeerAuthentication("istio-system", "default-strict-mode", "STRICT");
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
            r.AssertSuccess();
            Assert.All(r.OutputOf<ResourceChange>().Skip(1), x => Assert.Equal(ChangeAction.Created, x.Action));
            AssertStored(EnvoyFilterForm.EnvoyV3);
        }

        [Fact]
        public void A_V16_ext_authz_is_updated_in_place_to_EnvoyV3_and_Disable_puts_V16_back()
        {
            _scenario.Crds("1.15.2").Calico("3.20.6").Istiod("1.10.2");
            _scenario.PeerAuthentication("istio-system", "default-strict-mode", "STRICT");
            // Calico 3.17's istio-app-layer-policy-v1.6.yaml, applied with kubectl and labelled by CalicoAlp before.
            var v16 = AuthorizationService.EnvoyFilter(EnvoyFilterForm.V16, "istio-system");
            v16["metadata"]!["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = "calicoalp", ["team"] = "mesh" };
            _cluster.KubectlApply(v16.ToJsonString());
            var uid = Get("envoyfilters.networking.istio.io", "ext-authz")!["metadata"]!["uid"]!.GetValue<string>();

            _host.Invoke("Enable-CalicoAppLayerPolicy", Params()).AssertSuccess();
            AssertStored(EnvoyFilterForm.EnvoyV3);
            var live = Get("envoyfilters.networking.istio.io", "ext-authz")!;
            Assert.Equal(uid, live["metadata"]!["uid"]!.GetValue<string>());
            Assert.Equal("mesh", live["metadata"]!["labels"]!["team"]!.GetValue<string>());

            var d = _host.Invoke("Disable-CalicoAppLayerPolicy", Params(("Force", true)));
            d.AssertSuccess();
            Assert.Equal(ChangeAction.Updated, d.OutputOf<ResourceChange>().First().Action);
            var back = Get("envoyfilters.networking.istio.io", "ext-authz")!;
            Assert.True(JsonDiff.DeepEquals(AuthorizationService.EnvoyFilterSpec(EnvoyFilterForm.V16), back["spec"]));
            Assert.Equal("calicoalp", back["metadata"]!["labels"]!["app.kubernetes.io/managed-by"]!.GetValue<string>()); // it was labelled before
            Assert.Null(back["metadata"]!["annotations"]?["calicoalp.io/previous-spec"]);
        }

        [Fact]
        public void Istio_1_28_with_PeerAuthentication_v1_gets_EnvoyV3()
        {
            _scenario.Crds("1.15.2", "destinationrules", "serviceentries").Crds("1.28.1", "envoyfilters", "peerauthentications");
            _scenario.Calico("3.31.7").Istiod("1.28.1");
            _scenario.PeerAuthentication("istio-system", "default-strict-mode", "STRICT", api: "security.istio.io/v1");
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
            r.AssertSuccess();
            Assert.Contains(r.Verbose, v => v.Contains("Generation: Istio 1.28.1 (DikastesTemplates, EnvoyFilter EnvoyV3)", StringComparison.Ordinal));
            Assert.Contains(r.Verbose, v => v.Contains("mTLS read through security.istio.io/v1 in root namespace istio-system", StringComparison.Ordinal));
            AssertStored(EnvoyFilterForm.EnvoyV3);
        }
    }
}
