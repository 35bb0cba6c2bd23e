using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using CalicoAlp.Core.Namespaces;
using CalicoAlp.Core.Results;
using CalicoAlp.Tests.Infrastructure;
using Xunit;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>
    /// Add-/Remove-AlpNamespace on the newer generations' clusters: Istio revisions (istio.io/rev, several revisions
    /// refused without -Revision), the Istio ≥ 1.22 pod-template annotation (inject.istio.io/templates) as the one
    /// restart, and the pilot check on istiod's port 15012 with Calico's shipped 15011 allow-istio-pilot policy.
    /// Every change is read back from the API server; -WhatIf and re-runs write nothing.
    /// </summary>
    [Collection(GenerationCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class AlpNamespaceGenerationTests : IDisposable
    {
        private const string Istio128 = "calico3.31-istio1.28.1";
        private const string Istio115 = "calico3.25-istio1.15.2";
        private const string Istio110 = "calico3.22-istio1.10.2";
        private readonly GenerationClusters _clusters;
        private readonly CmdletHost _host = new();
        private readonly string _prefix = "alpgen" + Guid.NewGuid().ToString("N")[..6];
        private readonly List<(GenerationCluster Cluster, string Ns)> _namespaces = new();

        public AlpNamespaceGenerationTests(GenerationClusters clusters) => _clusters = clusters;

        public void Dispose()
        {
            foreach (var (c, ns) in _namespaces) c.Kubectl("delete", "namespace", ns, "--ignore-not-found", "--wait=false");
            _host.Dispose();
        }

        private string NewNamespace(GenerationCluster c, string suffix, string labels = "{}")
        {
            var name = $"{_prefix}-{suffix}";
            c.KubectlApply($"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}, labels: {labels}}}\n");
            _namespaces.Add((c, name));
            return name;
        }

        private static Hashtable Params(GenerationCluster c, string ns, params (string Key, object Value)[] more)
        {
            var p = new Hashtable { ["Kubeconfig"] = c.Kubeconfig, ["Context"] = "admin", ["Name"] = ns };
            foreach (var (k, v) in more) p[k] = v;
            return p;
        }

        private static void Deployment(GenerationCluster c, string ns, string name, string podLabels = "", string? templates = null)
        {
            var annotations = templates == null ? "" : $", annotations: {{'inject.istio.io/templates': '{templates}'}}";
            c.KubectlApply($"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n" +
                $"  template:\n    metadata: {{labels: {{app: {name}{podLabels}}}{annotations}}}\n    spec:\n      containers: [{{name: app, image: 'nginx:1.27'}}]\n");
        }

        private static string? Templates(GenerationCluster c, string ns, string name) =>
            c.GetJson("-n", ns, "get", "deployment", name)!["spec"]!["template"]!["metadata"]!["annotations"]?["inject.istio.io/templates"]?.GetValue<string>();

        private static string? WorkloadAnnotation(GenerationCluster c, string ns, string name, string key) =>
            c.GetJson("-n", ns, "get", "deployment", name)!["metadata"]!["annotations"]?[key]?.GetValue<string>();

        private static string Versions(GenerationCluster c, string ns) =>
            c.KubectlOk("get", "namespace", ns, "-o", "jsonpath={.metadata.resourceVersion}") + "|" +
            c.KubectlOk("-n", ns, "get", "deployments,networkpolicies.crd.projectcalico.org", "-o", "jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}");

        private static string? Label(GenerationCluster c, string ns, string key) =>
            c.GetJson("get", "namespace", ns)!["metadata"]!["labels"]?[key]?.GetValue<string>();

        [Fact]
        public void Istio_1_28_Restart_annotates_pod_templates_as_the_only_restart_and_Remove_undoes_it()
        {
            var c = _clusters.Get(Istio128);
            var ns = NewNamespace(c, "tpl");
            new WorkloadFactory(c).Deployment(ns, "web", 1); // a pod without Envoy: the template change is its restart
            Deployment(c, ns, "gw", ", istio: ingressgateway");
            Deployment(c, ns, "stockgw", templates: "gateway");
            Deployment(c, ns, "own", templates: "sidecar,dikastes,custom");

            var add = _host.Invoke("Add-AlpNamespace", Params(c, ns, ("Restart", true)));
            add.AssertSuccess();
            var r = Assert.Single(add.OutputOf<AlpNamespaceResult>());
            Assert.Equal("1.28.1", r.IstioVersion);
            Assert.Equal("enabled", Label(c, ns, "istio-injection"));
            Assert.Equal("sidecar,dikastes", Templates(c, ns, "web"));
            Assert.Equal("sidecar,dikastes-gateway", Templates(c, ns, "gw"));
            Assert.Equal("sidecar,dikastes-gateway", Templates(c, ns, "stockgw"));
            Assert.Equal("gateway", WorkloadAnnotation(c, ns, "stockgw", InjectTemplatesIntent.PreviousAnnotation));
            Assert.Equal("sidecar,dikastes,custom", Templates(c, ns, "own"));
            Assert.Contains(add.Warnings, w => w.Contains("Deployment/own picks its own injection templates", StringComparison.Ordinal));
            // One restart: the annotation; no kubectl.kubernetes.io/restartedAt on top of it.
            Assert.DoesNotContain("restartedAt", new WorkloadFactory(c).TemplateJson(ns, "deployment", "web"), StringComparison.Ordinal);
            Assert.Equal(new[] { "Deployment/web" }, r.RestartedWorkloads);
            Assert.Equal(new[] { "Deployment/gw: sidecar,dikastes-gateway", "Deployment/stockgw: sidecar,dikastes-gateway", "Deployment/web: sidecar,dikastes" },
                r.TemplateChanges.OrderBy(s => s, StringComparer.Ordinal));

            // Re-run: nothing written (without -Restart; with -Restart the annotated workloads without pods stay as they are).
            var before = Versions(c, ns);
            var again = _host.Invoke("Add-AlpNamespace", Params(c, ns));
            again.AssertSuccess();
            Assert.Equal(before, Versions(c, ns));
            Assert.Contains(again.Warnings, w => w.Contains("use -Restart to annotate", StringComparison.Ordinal));
            var gwVersion = c.KubectlOk("-n", ns, "get", "deployment", "gw", "-o", "jsonpath={.metadata.resourceVersion}");
            _host.Invoke("Add-AlpNamespace", Params(c, ns, ("Restart", true))).AssertSuccess();
            Assert.Equal(gwVersion, c.KubectlOk("-n", ns, "get", "deployment", "gw", "-o", "jsonpath={.metadata.resourceVersion}"));

            var remove = _host.Invoke("Remove-AlpNamespace", Params(c, ns, ("Restart", true)));
            remove.AssertSuccess();
            var rr = Assert.Single(remove.OutputOf<AlpNamespaceResult>());
            Assert.Null(Label(c, ns, "istio-injection"));
            Assert.Null(Templates(c, ns, "web"));
            Assert.Null(Templates(c, ns, "gw"));
            Assert.Equal("gateway", Templates(c, ns, "stockgw"));
            Assert.Null(WorkloadAnnotation(c, ns, "stockgw", InjectTemplatesIntent.PreviousAnnotation));
            Assert.Equal("sidecar,dikastes,custom", Templates(c, ns, "own"));
            Assert.Contains("Deployment/own keeps its own injection templates", rr.Message);
            Assert.Contains("Deployment/stockgw: gateway", rr.TemplateChanges);
        }

        [Fact]
        public void Istio_1_28_WhatIf_previews_the_annotations_and_writes_nothing()
        {
            var c = _clusters.Get(Istio128);
            var ns = NewNamespace(c, "whatif");
            Deployment(c, ns, "web");
            var before = Versions(c, ns);
            var r = _host.Invoke("Add-AlpNamespace", Params(c, ns, ("Restart", true), ("WhatIf", true)));
            r.AssertSuccess();
            var result = Assert.Single(r.OutputOf<AlpNamespaceResult>());
            Assert.True(result.WhatIf);
            Assert.Equal(new[] { "Deployment/web: sidecar,dikastes" }, result.TemplateChanges);
            Assert.Equal(before, Versions(c, ns));
            Assert.Null(Templates(c, ns, "web"));
        }

        [Fact]
        public void Before_Istio_1_22_Restart_sets_no_templates_annotation()
        {
            var c = _clusters.Get(Istio115);
            var ns = NewNamespace(c, "old");
            Deployment(c, ns, "web");
            var r = _host.Invoke("Add-AlpNamespace", Params(c, ns, ("Restart", true)));
            r.AssertSuccess();
            var result = Assert.Single(r.OutputOf<AlpNamespaceResult>());
            Assert.Equal("1.15.2", result.IstioVersion);
            Assert.Empty(result.TemplateChanges);
            Assert.Null(Templates(c, ns, "web"));
            Assert.Equal("enabled", Label(c, ns, "istio-injection"));
        }

        [Fact]
        public void A_suffixed_injector_ConfigMap_without_istio_io_rev_is_not_a_revision()
        {
            var c = _clusters.Get(Istio115);
            // Like Set-IstioInjectorPatch's backup (istio-sidecar-injector-calicoalp-backup) or any copy: no revision label.
            c.KubectlApply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-sidecar-injector-copy, namespace: istio-system}\ndata: {config: 'policy: enabled'}\n");
            try
            {
                var ns = NewNamespace(c, "norev");
                var r = _host.Invoke("Add-AlpNamespace", Params(c, ns));
                r.AssertSuccess();
                Assert.Null(Assert.Single(r.OutputOf<AlpNamespaceResult>()).Revision);
                Assert.Equal("enabled", Label(c, ns, "istio-injection"));
            }
            finally
            {
                c.Kubectl("-n", "istio-system", "delete", "configmap/istio-sidecar-injector-copy", "--ignore-not-found");
            }
        }

        [Fact]
        public void Several_revisions_need_Revision_which_labels_istio_io_rev_and_Remove_undoes_it()
        {
            var c = _clusters.Get(Istio115);
            c.KubectlApply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-sidecar-injector-canary, namespace: istio-system, labels: {istio.io/rev: canary}}\ndata: {config: 'policy: enabled', values: '{}'}\n" +
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: istiod-canary, namespace: istio-system, labels: {app: istiod, istio.io/rev: canary}}\nspec:\n  selector: {matchLabels: {app: istiod, istio.io/rev: canary}}\n" +
                "  template:\n    metadata: {labels: {app: istiod, istio: pilot, istio.io/rev: canary}}\n    spec:\n      containers: [{name: discovery, image: 'docker.io/istio/pilot:1.15.2'}]\n");
            try
            {
                var ns = NewNamespace(c, "rev", "{istio-injection: enabled}");
                var before = Versions(c, ns);
                var ambiguous = _host.Invoke("Add-AlpNamespace", Params(c, ns));
                var error = Assert.Single(ambiguous.Errors);
                Assert.Equal("IstioRevisionAmbiguous", error.FullyQualifiedErrorId.Split(',')[0]);
                Assert.Contains("(canary, default)", error.Exception.Message);
                Assert.Empty(ambiguous.OutputOf<AlpNamespaceResult>());
                Assert.Equal(before, Versions(c, ns));

                var missing = _host.Invoke("Add-AlpNamespace", Params(c, ns, ("Revision", "stable")));
                Assert.Equal("IstioRevisionNotFound", Assert.Single(missing.Errors).FullyQualifiedErrorId.Split(',')[0]);
                Assert.Equal(before, Versions(c, ns));

                var whatIf = _host.Invoke("Add-AlpNamespace", Params(c, ns, ("Revision", "canary"), ("WhatIf", true)));
                whatIf.AssertSuccess();
                Assert.Equal(before, Versions(c, ns));

                var add = _host.Invoke("Add-AlpNamespace", Params(c, ns, ("Revision", "canary")));
                add.AssertSuccess();
                var r = Assert.Single(add.OutputOf<AlpNamespaceResult>());
                Assert.Equal("canary", r.Revision);
                Assert.Equal("canary", Label(c, ns, "istio.io/rev"));
                Assert.Null(Label(c, ns, "istio-injection")); // Istio ignores istio.io/rev where istio-injection is set
                var labelled = Versions(c, ns);
                _host.Invoke("Add-AlpNamespace", Params(c, ns, ("Revision", "canary"))).AssertSuccess();
                Assert.Equal(labelled, Versions(c, ns));

                var remove = _host.Invoke("Remove-AlpNamespace", Params(c, ns, ("Revision", "canary")));
                remove.AssertSuccess();
                Assert.Equal(ChangeAction.Updated, Assert.Single(remove.OutputOf<AlpNamespaceResult>()).LabelAction);
                Assert.Null(Label(c, ns, "istio.io/rev"));
                Assert.Null(Label(c, ns, "istio-injection"));
            }
            finally
            {
                c.Kubectl("-n", "istio-system", "delete", "configmap/istio-sidecar-injector-canary", "deployment/istiod-canary", "--ignore-not-found");
            }
        }

        [Fact]
        public void On_istiod_the_pilot_check_uses_15012_and_Calico_s_15011_policy_is_called_out_and_fixed()
        {
            var c = _clusters.Get(Istio110);
            var ns = NewNamespace(c, "pilot");
            c.KubectlApply($@"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: default-deny-egress, namespace: {ns}}}
spec: {{podSelector: {{}}, policyTypes: [Egress]}}
---
apiVersion: crd.projectcalico.org/v1
kind: NetworkPolicy
metadata: {{name: allow-istio-pilot, namespace: {ns}}}
spec:
  selector: all()
  types: [Egress]
  order: 0
  egress:
  - action: Allow
    protocol: TCP
    destination:
      selector: projectcalico.org/namespace == 'istio-system' && istio == 'pilot'
      ports: [15011]
");
            var before = Versions(c, ns);
            var whatIf = _host.Invoke("Add-AlpNamespace", Params(c, ns, ("AllowIstioPilot", true), ("WhatIf", true)));
            whatIf.AssertSuccess();
            Assert.Equal(before, Versions(c, ns));

            var add = _host.Invoke("Add-AlpNamespace", Params(c, ns));
            add.AssertSuccess();
            var r = Assert.Single(add.OutputOf<AlpNamespaceResult>());
            Assert.StartsWith("Blocked by", r.PilotEgress);
            Assert.Contains("TCP 15012 to istiod", r.PilotEgress);
            Assert.Contains(add.Warnings, w => w.Contains("opens only TCP 15011", StringComparison.Ordinal) && w.Contains("15012", StringComparison.Ordinal));
            Assert.Contains("opens only TCP 15011", r.Message);

            var fix = _host.Invoke("Add-AlpNamespace", Params(c, ns, ("AllowIstioPilot", true)));
            fix.AssertSuccess();
            var fixedResult = Assert.Single(fix.OutputOf<AlpNamespaceResult>());
            Assert.Equal("Allowed", fixedResult.PilotEgress);
            Assert.Contains("allow-istio-pilot set to TCP 15012.", fixedResult.Message);
            Assert.Equal("[15012]", c.KubectlOk("-n", ns, "get", "networkpolicies.crd.projectcalico.org", "allow-istio-pilot", "-o", "jsonpath={.spec.egress[0].destination.ports}").Trim());
            var fixedVersions = Versions(c, ns);
            _host.Invoke("Add-AlpNamespace", Params(c, ns, ("AllowIstioPilot", true))).AssertSuccess();
            Assert.Equal(fixedVersions, Versions(c, ns));
        }
    }
}
