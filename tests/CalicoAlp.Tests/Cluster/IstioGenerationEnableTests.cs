using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
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
    /// Enable/Disable-CalicoAppLayerPolicy on clusters made to look like Istio 1.5-1.22 (istiod Deployments, revisions,
    /// PeerAuthentication, ambient signs) with the fixture's Istio 1.4.2 CRDs for networking (they keep unknown fields,
    /// so every form is stored as sent) plus Istio 1.15.2's PeerAuthentication CRD.
    /// </summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class IstioGenerationEnableTests : IDisposable
    {
        private readonly ClusterFixture _cluster;
        private readonly CmdletHost _host = new();
        private readonly IstioScenario _scenario;

        public IstioGenerationEnableTests(ClusterFixture cluster)
        {
            _cluster = cluster;
            AlpClusterState.Reset(cluster);
            _scenario = new IstioScenario(cluster);
            _scenario.Crds("1.15.2", "peerauthentications");
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

        private JsonObject? ExtAuthz() => _cluster.GetJson("-n", "istio-system", "get", "envoyfilters.networking.istio.io", "ext-authz");

        private void AssertForm(EnvoyFilterForm form)
        {
            var ef = ExtAuthz();
            Assert.NotNull(ef);
            var diff = JsonDiff.Compare(AuthorizationService.EnvoyFilterSpec(form), ef!["spec"], "spec");
            Assert.True(diff.Count == 0, string.Join("; ", diff.Select(d => $"{d.Path}: {d.Before} -> {d.After}")));
        }

        private void StrictMesh() => _scenario.PeerAuthentication("istio-system", "default-strict-mode", "STRICT");

        private static string Yaml(EnvoyFilterForm form, bool labelled = false)
        {
            var obj = AuthorizationService.EnvoyFilter(form, "istio-system");
            if (labelled) obj["metadata"]!["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = "calicoalp" };
            return obj.ToJsonString();
        }

        [Fact]
        public void Istio_1_7_4_gets_the_V17_objects()
        {
            _scenario.Calico("3.19.4").Istiod("1.7.4");
            StrictMesh();
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
            r.AssertSuccess();
            Assert.Equal(new[] { "FelixConfiguration", "ServiceEntry", "DestinationRule", "EnvoyFilter" }, r.OutputOf<ResourceChange>().Select(x => x.Kind));
            Assert.All(r.OutputOf<ResourceChange>().Skip(1), x => Assert.Equal(ChangeAction.Created, x.Action));
            AssertForm(EnvoyFilterForm.V17);
            Assert.Contains(r.Verbose, v => v.Contains("Generation: Istio 1.7.4 (SingleTemplate17, EnvoyFilter V17)", StringComparison.Ordinal));
            Assert.Contains(r.Verbose, v => v.Contains("mTLS: PeerAuthentication istio-system/default-strict-mode (mode STRICT)", StringComparison.Ordinal));
            Assert.Empty(r.Warnings);
        }

        [Fact]
        public void A_Filters_form_ext_authz_is_updated_in_place_and_Disable_restores_it()
        {
            // Calico 3.12's istio-app-layer-policy.yaml applied with kubectl under Istio 1.4, then Istio upgraded to 1.7.4.
            _cluster.KubectlApply(Yaml(EnvoyFilterForm.Filters));
            var before = ExtAuthz()!;
            _scenario.Calico("3.19.4").Istiod("1.7.4");
            StrictMesh();

            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
            r.AssertSuccess();
            var ef = r.OutputOf<ResourceChange>().Single(x => x.Kind == "EnvoyFilter");
            Assert.Equal(ChangeAction.Updated, ef.Action);
            Assert.Contains(ef.Changes, c => c.Path == "metadata.annotations.calicoalp.io/previous-spec");
            AssertForm(EnvoyFilterForm.V17);
            var live = ExtAuthz()!;
            Assert.Equal(before["metadata"]!["uid"]!.GetValue<string>(), live["metadata"]!["uid"]!.GetValue<string>()); // same object, not re-created
            var kept = JsonNode.Parse(live["metadata"]!["annotations"]!["calicoalp.io/previous-spec"]!.GetValue<string>())!;
            Assert.True(JsonDiff.DeepEquals(before["spec"], kept["spec"]));
            Assert.False(kept["labelled"]!.GetValue<bool>());

            // A second Enable keeps the first remembered spec and writes nothing.
            var rv = live["metadata"]!["resourceVersion"]!.GetValue<string>();
            _host.Invoke("Enable-CalicoAppLayerPolicy", Params()).AssertSuccess();
            Assert.Equal(rv, ExtAuthz()!["metadata"]!["resourceVersion"]!.GetValue<string>());

            var d = _host.Invoke("Disable-CalicoAppLayerPolicy", Params(("Force", true)));
            d.AssertSuccess();
            var results = d.OutputOf<ResourceChange>().ToList();
            Assert.Equal(new[] { "EnvoyFilter", "DestinationRule", "ServiceEntry", "FelixConfiguration" }, results.Select(x => x.Kind));
            Assert.Equal(ChangeAction.Updated, results[0].Action);
            Assert.Equal(ChangeAction.Deleted, results[1].Action);
            AssertForm(EnvoyFilterForm.Filters);
            var restored = ExtAuthz()!;
            Assert.Null(restored["metadata"]!["annotations"]?["calicoalp.io/previous-spec"]);
            Assert.Null(restored["metadata"]!["labels"]?["app.kubernetes.io/managed-by"]);
        }

        [Theory]
        [InlineData("1.5.10", EnvoyFilterForm.V16, "1.6")]
        [InlineData("1.8.6", EnvoyFilterForm.V17, "1.7")]
        public void Istio_1_5_and_1_8_are_refused_and_Force_applies_the_nearest_generation(string istio, EnvoyFilterForm nearest, string nearestMinor)
        {
            _scenario.Calico("3.19.4").Istiod(istio);
            StrictMesh();
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
            Assert.NotNull(r.Terminating);
            Assert.Equal("AlpPrerequisiteFailed,CalicoAlp.Cmdlets.EnableCalicoAppLayerPolicyCommand", r.Terminating!.FullyQualifiedErrorId);
            Assert.Contains(IstioGeneration.For(ComponentVersion.Parse(istio)).Refusal!, r.Terminating.Exception.Message, StringComparison.Ordinal);
            Assert.Null(ExtAuthz());

            var forced = _host.Invoke("Enable-CalicoAppLayerPolicy", Params(("Force", true)));
            forced.AssertSuccess();
            Assert.Contains(forced.Warnings, w => w.StartsWith("Continuing because of -Force: Calico never published ALP files for Istio", StringComparison.Ordinal));
            Assert.Contains(forced.Warnings, w => w.StartsWith($"Applying the Istio {nearestMinor} method: EnvoyFilter form {nearest}", StringComparison.Ordinal));
            AssertForm(nearest);
        }

        [Fact]
        public void Ambient_mode_is_refused_with_the_reason_and_Force_still_applies()
        {
            _scenario.Calico("3.28.2").Istiod("1.22.8", env: new Dictionary<string, string> { ["PILOT_ENABLE_AMBIENT"] = "true" });
            StrictMesh();
            _scenario.Object("daemonset", "istio-system", "ztunnel", @"
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ztunnel, namespace: istio-system}
spec:
  selector: {matchLabels: {app: ztunnel}}
  template:
    metadata: {labels: {app: ztunnel}}
    spec: {containers: [{name: istio-proxy, image: docker.io/istio/ztunnel:1.22.8}]}
");
            _scenario.Namespace("h2-ambient-shop", "istio.io/dataplane-mode: ambient");
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
            Assert.NotNull(r.Terminating);
            Assert.Equal("IstioAmbientMode,CalicoAlp.Cmdlets.EnableCalicoAppLayerPolicyCommand", r.Terminating!.FullyQualifiedErrorId);
            var message = r.Terminating.Exception.Message;
            Assert.Contains("ambient mode", message, StringComparison.Ordinal);
            Assert.Contains("DaemonSet istio-system/ztunnel exists", message, StringComparison.Ordinal);
            Assert.Contains("h2-ambient-shop", message, StringComparison.Ordinal);
            Assert.Contains("PILOT_ENABLE_AMBIENT=true", message, StringComparison.Ordinal);
            Assert.Contains("no sidecar", message, StringComparison.Ordinal);
            Assert.Null(ExtAuthz());

            var forced = _host.Invoke("Enable-CalicoAppLayerPolicy", Params(("Force", true)));
            forced.AssertSuccess();
            Assert.Contains(forced.Warnings, w => w.Contains("ambient mode", StringComparison.Ordinal));
            AssertForm(EnvoyFilterForm.EnvoyV3);
        }

        [Fact]
        public void PeerAuthentication_STRICT_is_detected_and_namespace_overrides_are_reported_by_name()
        {
            _scenario.Calico("3.20.6").Istiod("1.10.2");
            StrictMesh();
            _scenario.Namespace("h2-legacy");
            _scenario.PeerAuthentication("h2-legacy", "allow-plain", "DISABLE");
            _scenario.PeerAuthentication("h2-legacy", "one-workload", "PERMISSIVE", selector: "old");
            _scenario.PeerAuthentication("h2-legacy", "strict-too", "STRICT");
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
            r.AssertSuccess();
            Assert.Contains(r.Verbose, v => v.Contains("mTLS: PeerAuthentication istio-system/default-strict-mode (mode STRICT)", StringComparison.Ordinal));
            Assert.Contains(r.Warnings, w => w.StartsWith("PeerAuthentication h2-legacy/allow-plain (namespace-level, mode DISABLE)", StringComparison.Ordinal));
            Assert.Contains(r.Warnings, w => w.StartsWith("PeerAuthentication h2-legacy/one-workload (workload-level, mode PERMISSIVE)", StringComparison.Ordinal));
            Assert.DoesNotContain(r.Warnings, w => w.Contains("strict-too", StringComparison.Ordinal));
            AssertForm(EnvoyFilterForm.EnvoyV3);
        }

        [Fact]
        public void Mesh_wide_means_the_root_namespace_of_meshConfig_and_PERMISSIVE_is_a_warning()
        {
            _scenario.Calico("3.20.6").Istiod("1.10.2");
            StrictMesh(); // in istio-system, which is no longer the root namespace below
            _scenario.Object("configmap", "istio-system", "istio", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |-\n    rootNamespace: h2-mesh-root\n    trustDomain: cluster.local\n");
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
            Assert.NotNull(r.Terminating);
            Assert.Contains("no mesh-wide PeerAuthentication (no selector) in the root namespace 'h2-mesh-root'", r.Terminating!.Exception.Message, StringComparison.Ordinal);

            _scenario.Namespace("h2-mesh-root");
            _scenario.PeerAuthentication("h2-mesh-root", "default", "PERMISSIVE");
            var ok = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
            ok.AssertSuccess();
            Assert.Contains(ok.Warnings, w => w.StartsWith("Mutual TLS is PERMISSIVE (PeerAuthentication h2-mesh-root/default (mode PERMISSIVE))", StringComparison.Ordinal));
            // the STRICT one in istio-system is now a namespace-level policy, which is not a weakening
            Assert.DoesNotContain(ok.Warnings, w => w.Contains("default-strict-mode", StringComparison.Ordinal));
        }

        [Fact]
        public void Calico_3_17_with_Istio_1_10_is_refused_because_EnvoyV3_needs_Calico_3_20()
        {
            _scenario.Calico("3.17.6").Istiod("1.10.2");
            StrictMesh();
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
            Assert.NotNull(r.Terminating);
            Assert.Equal("AlpPrerequisiteFailed,CalicoAlp.Cmdlets.EnableCalicoAppLayerPolicyCommand", r.Terminating!.FullyQualifiedErrorId);
            Assert.Contains("Dikastes serves from Calico 3.20", r.Terminating.Exception.Message, StringComparison.Ordinal);
            Assert.Contains("Calico 3.17.6 is too old", r.Terminating.Exception.Message, StringComparison.Ordinal);
            Assert.Null(ExtAuthz());
            Assert.Null(_cluster.GetJson("get", "felixconfigurations.crd.projectcalico.org", "default")!["spec"]!["policySyncPathPrefix"]);
        }

        [Fact]
        public void Several_revisions_are_named_and_Revision_selects_one()
        {
            _scenario.Calico("3.20.6").Istiod("1.7.4").Istiod("1.10.2", revision: "1-10");
            StrictMesh();
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
            Assert.NotNull(r.Terminating);
            Assert.Equal("IstioRevisionAmbiguous,CalicoAlp.Cmdlets.EnableCalicoAppLayerPolicyCommand", r.Terminating!.FullyQualifiedErrorId);
            Assert.Contains("istiod (revision 'default', Istio 1.7.4)", r.Terminating.Exception.Message, StringComparison.Ordinal);
            Assert.Contains("istiod-1-10 (revision '1-10', Istio 1.10.2)", r.Terminating.Exception.Message, StringComparison.Ordinal);
            Assert.Null(ExtAuthz());

            var missing = _host.Invoke("Enable-CalicoAppLayerPolicy", Params(("Revision", "1-11")));
            Assert.Equal("IstioRevisionNotFound,CalicoAlp.Cmdlets.EnableCalicoAppLayerPolicyCommand", missing.Terminating!.FullyQualifiedErrorId);

            _host.Invoke("Enable-CalicoAppLayerPolicy", Params(("Revision", "1-10"))).AssertSuccess();
            AssertForm(EnvoyFilterForm.EnvoyV3);
            _host.Invoke("Enable-CalicoAppLayerPolicy", Params(("Revision", "default"))).AssertSuccess();
            AssertForm(EnvoyFilterForm.V17);
        }

        [Fact]
        public void WhatIf_on_a_new_generation_writes_nothing()
        {
            _cluster.KubectlApply(Yaml(EnvoyFilterForm.V16));
            var before = ExtAuthz()!["metadata"]!["resourceVersion"]!.GetValue<string>();
            _scenario.Calico("3.20.6").Istiod("1.10.2");
            StrictMesh();
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params(("WhatIf", true)));
            r.AssertSuccess();
            var results = r.OutputOf<ResourceChange>().ToList();
            Assert.All(results, x => Assert.True(x.WhatIf));
            Assert.Equal(ChangeAction.Updated, results.Single(x => x.Kind == "EnvoyFilter").Action);
            Assert.Equal(before, ExtAuthz()!["metadata"]!["resourceVersion"]!.GetValue<string>());
            AssertForm(EnvoyFilterForm.V16);
            Assert.Null(ExtAuthz()!["metadata"]!["annotations"]?["calicoalp.io/previous-spec"]);
            Assert.Null(_cluster.GetJson("get", "felixconfigurations.crd.projectcalico.org", "default")!["spec"]!["policySyncPathPrefix"]);
            Assert.Null(_cluster.GetJson("-n", "istio-system", "get", "serviceentries.networking.istio.io", "dikastes"));
        }

        /// <summary>
        /// Calico 3.32's optional chart serves felixconfigurations as native projectcalico.org/v3 CRDs (no
        /// crd.projectcalico.org/v1 for it): the prefix is written there. The fixture's v1 CRD is removed for the test
        /// and re-created from the fixture file afterwards, with the FelixConfiguration it had.
        /// </summary>
        [Fact]
        public void FelixConfiguration_served_by_projectcalico_org_v3_is_patched_there()
        {
            const string v1Crd = "felixconfigurations.crd.projectcalico.org";
            const string v3Crd = "felixconfigurations.projectcalico.org";
            var saved = _cluster.GetJson("get", v1Crd, "default")!;
            _cluster.KubectlOk("delete", "crd", v1Crd, "--wait=true");
            try
            {
                _cluster.KubectlApply(@"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: felixconfigurations.projectcalico.org}
spec:
  group: projectcalico.org
  scope: Cluster
  names: {kind: FelixConfiguration, listKind: FelixConfigurationList, plural: felixconfigurations, singular: felixconfiguration}
  versions:
  - name: v3
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
");
                _cluster.KubectlOk("wait", "--for=condition=established", "crd/" + v3Crd, "--timeout=60s");
                _cluster.KubectlApply("apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata: {name: default}\nspec: {logSeverityScreen: Info}\n");

                var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params(("SkipAuthorizationService", true)));
                r.AssertSuccess();
                var felix = Assert.Single(r.OutputOf<ResourceChange>());
                Assert.Equal(ChangeAction.Updated, felix.Action);
                Assert.Contains(r.Verbose, v => v.Contains("FelixConfiguration is served by projectcalico.org/v3", StringComparison.Ordinal));
                var live = _cluster.GetJson("get", v3Crd, "default")!;
                Assert.Equal("/var/run/nodeagent", live["spec"]!["policySyncPathPrefix"]!.GetValue<string>());
                Assert.Equal("", live["metadata"]!["annotations"]!["calicoalp.io/previous-policy-sync-path-prefix"]!.GetValue<string>());

                var d = _host.Invoke("Disable-CalicoAppLayerPolicy", Params(("SkipAuthorizationService", true), ("Force", true)));
                d.AssertSuccess();
                Assert.Null(_cluster.GetJson("get", v3Crd, "default")!["spec"]!["policySyncPathPrefix"]);
            }
            finally
            {
                _cluster.Kubectl("delete", "crd", v3Crd, "--ignore-not-found", "--wait=true");
                var fixture = File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "cluster", "fixture", "calico-v3.12-kdd-crds.yaml"));
                var doc = fixture.Split("\n---").Select(x => x.Trim('\n')).Single(x => x.Contains("name: " + v1Crd, StringComparison.Ordinal));
                _cluster.KubectlApply(doc);
                _cluster.KubectlOk("wait", "--for=condition=established", "crd/" + v1Crd, "--timeout=60s");
                var meta = saved["metadata"]!.AsObject();
                foreach (var k in new[] { "resourceVersion", "uid", "creationTimestamp", "managedFields", "generation" }) meta.Remove(k);
                _cluster.KubectlApply(saved.ToJsonString());
            }
        }
    }
}
