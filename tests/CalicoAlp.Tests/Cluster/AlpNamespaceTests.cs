using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text.Json.Nodes;
using CalicoAlp.Core.Namespaces;
using CalicoAlp.Core.Results;
using CalicoAlp.Tests.Infrastructure;
using Xunit;

namespace CalicoAlp.Tests.Cluster
{
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class AlpNamespaceTests : IDisposable
    {
        private readonly ClusterFixture _cluster;
        private readonly WorkloadFactory _make;
        private readonly CmdletHost _host = new();
        private readonly string _prefix = "alpns" + Guid.NewGuid().ToString("N")[..6];
        private readonly List<string> _namespaces = new();

        public AlpNamespaceTests(ClusterFixture cluster)
        {
            _cluster = cluster;
            _make = new WorkloadFactory(cluster);
        }

        public void Dispose()
        {
            foreach (var ns in _namespaces) _make.DeleteNamespace(ns);
            _host.Dispose();
        }

        private string NewNamespace(string suffix, IDictionary<string, string>? labels = null)
        {
            var name = $"{_prefix}-{suffix}";
            _make.Namespace(name, labels);
            _namespaces.Add(name);
            return name;
        }

        private Hashtable Params(object? name = null, string context = "admin")
        {
            var p = new Hashtable { ["Kubeconfig"] = _cluster.Kubeconfig, ["Context"] = context };
            if (name != null) p["Name"] = name;
            return p;
        }

        private string? Label(string ns, string key) =>
            _cluster.GetJson("get", "namespace", ns)?["metadata"]?["labels"]?[key]?.GetValue<string>();

        private string ResourceVersion(string ns) => _cluster.GetJson("get", "namespace", ns)!["metadata"]!["resourceVersion"]!.GetValue<string>();

        [Fact]
        public void Labels_a_namespace_and_a_second_run_writes_nothing()
        {
            var ns = NewNamespace("plain");
            var r = _host.Invoke("Add-AlpNamespace", Params(ns));
            r.AssertSuccess();
            var result = Assert.Single(r.OutputOf<AlpNamespaceResult>());
            Assert.Equal(ChangeAction.Updated, result.LabelAction);
            Assert.Equal("enabled", Label(ns, "istio-injection"));
            Assert.Equal("admin", result.Context);

            var rv = ResourceVersion(ns);
            var again = _host.Invoke("Add-AlpNamespace", Params(ns));
            again.AssertSuccess();
            Assert.Equal(ChangeAction.Unchanged, Assert.Single(again.OutputOf<AlpNamespaceResult>()).LabelAction);
            Assert.Equal(rv, ResourceVersion(ns));
        }

        [Fact]
        public void An_explicit_disabled_label_is_reported_and_changed_only_with_Force()
        {
            var ns = NewNamespace("disabled", new Dictionary<string, string> { ["istio-injection"] = "disabled" });
            var r = _host.Invoke("Add-AlpNamespace", Params(ns));
            r.AssertSuccess();
            Assert.Equal(ChangeAction.Skipped, Assert.Single(r.OutputOf<AlpNamespaceResult>()).LabelAction);
            Assert.Contains(r.Warnings, w => w.Contains("istio-injection=disabled", StringComparison.Ordinal));
            Assert.Equal("disabled", Label(ns, "istio-injection"));

            var p = Params(ns);
            p["Force"] = true;
            _host.Invoke("Add-AlpNamespace", p).AssertSuccess();
            Assert.Equal("enabled", Label(ns, "istio-injection"));
        }

        [Fact]
        public void A_revision_label_is_reported_and_replaced_only_with_Force()
        {
            var ns = NewNamespace("rev", new Dictionary<string, string> { ["istio.io/rev"] = "canary" });
            var r = _host.Invoke("Add-AlpNamespace", Params(ns));
            Assert.Equal(ChangeAction.Skipped, Assert.Single(r.OutputOf<AlpNamespaceResult>()).LabelAction);
            Assert.Null(Label(ns, "istio-injection"));

            var p = Params(ns);
            p["Force"] = true;
            var forced = _host.Invoke("Add-AlpNamespace", p);
            forced.AssertSuccess();
            var changes = Assert.Single(forced.OutputOf<AlpNamespaceResult>()).LabelChanges;
            Assert.Contains(changes, c => c.Path == "metadata.labels.istio.io/rev" && c.After == null);
            Assert.Equal("enabled", Label(ns, "istio-injection"));
            Assert.Null(Label(ns, "istio.io/rev"));
        }

        [Fact]
        public void Reports_pods_without_sidecars_grouped_by_workload()
        {
            var ns = NewNamespace("mixed");
            _make.Deployment(ns, "web", 2);
            _make.StatefulSet(ns, "db", 1, "istio-proxy");
            _make.DaemonSet(ns, "agent", 1);
            _make.Job(ns, "migrate");
            _make.Pod(ns, "debug", Array.Empty<string>());
            _make.Deployment(ns, "ok", 1, "istio-proxy", "dikastes");
            _make.Pod(ns, "optout", Array.Empty<string>(), annotations: "'sidecar.istio.io/inject': 'false'");

            var r = _host.Invoke("Add-AlpNamespace", Params(ns));
            r.AssertSuccess();
            var result = Assert.Single(r.OutputOf<AlpNamespaceResult>());
            var byName = result.Workloads.ToDictionary(w => $"{w.Kind}/{w.Name}");
            Assert.Equal(new[] { "DaemonSet/agent", "Deployment/web", "Job/migrate", "Pod/debug", "StatefulSet/db" }, byName.Keys.OrderBy(k => k, StringComparer.Ordinal));
            Assert.Equal(2, byName["Deployment/web"].PodCount);
            Assert.Equal(SidecarGap.NoSidecar, byName["Deployment/web"].Gap);
            Assert.Equal(SidecarGap.NoDikastes, byName["StatefulSet/db"].Gap);
            Assert.True(byName["DaemonSet/agent"].Restartable);
            Assert.False(byName["Pod/debug"].Restartable);
            Assert.Equal(6, result.PodsNeedingRestart);
            Assert.Contains(r.Warnings, w => w.Contains("Use -Restart", StringComparison.Ordinal));
        }

        [Fact]
        public void Restart_annotates_only_the_pod_templates_and_keeps_bare_pods_unless_forced()
        {
            var ns = NewNamespace("restart");
            _make.Deployment(ns, "web", 1);
            _make.StatefulSet(ns, "db", 1);
            _make.DaemonSet(ns, "agent", 1);
            _make.Pod(ns, "debug", Array.Empty<string>());
            var before = new[] { ("deployment", "web"), ("statefulset", "db"), ("daemonset", "agent") }
                .ToDictionary(x => x, x => _cluster.GetJson("-n", ns, "get", x.Item1, x.Item2)!);

            var p = Params(ns);
            p["Restart"] = true;
            var r = _host.Invoke("Add-AlpNamespace", p);
            r.AssertSuccess();
            var result = Assert.Single(r.OutputOf<AlpNamespaceResult>());
            Assert.Equal(new[] { "DaemonSet/agent", "Deployment/web", "StatefulSet/db" }, result.RestartedWorkloads.OrderBy(x => x, StringComparer.Ordinal));
            Assert.Equal(1, result.PodsNeedingRestart); // the bare pod
            Assert.Contains(r.Warnings, w => w.Contains("Bare pod", StringComparison.Ordinal));
            Assert.NotNull(_cluster.GetJson("-n", ns, "get", "pod", "debug"));

            foreach (var ((kind, name), old) in before)
            {
                var now = _cluster.GetJson("-n", ns, "get", kind, name)!;
                var annotations = now["spec"]!["template"]!["metadata"]!["annotations"]!.AsObject();
                Assert.True(DateTimeOffset.TryParse(annotations["kubectl.kubernetes.io/restartedAt"]!.GetValue<string>(), out _));
                // Nothing else in the spec changed.
                var oldSpec = old["spec"]!.DeepClone().AsObject();
                var newSpec = now["spec"]!.DeepClone().AsObject();
                newSpec["template"]!["metadata"]!.AsObject().Remove("annotations");
                Assert.True(JsonNode.DeepEquals(oldSpec, newSpec), $"{kind}/{name} spec changed beyond the annotation:\n{oldSpec}\n{newSpec}");
            }

            p["Force"] = true;
            var forced = _host.Invoke("Add-AlpNamespace", p);
            forced.AssertSuccess();
            Assert.Contains("Pod/debug", Assert.Single(forced.OutputOf<AlpNamespaceResult>()).RestartedWorkloads);
            Assert.Null(_cluster.GetJson("-n", ns, "get", "pod", "debug"));
        }

        [Fact]
        public void Remove_drops_the_label_and_restarts_workloads_that_still_carry_sidecars()
        {
            var ns = NewNamespace("remove", new Dictionary<string, string> { ["istio-injection"] = "enabled" });
            _make.Deployment(ns, "web", 2, "istio-proxy", "dikastes");
            _make.Deployment(ns, "plain", 1);
            var p = Params(ns);
            p["Restart"] = true;
            var r = _host.Invoke("Remove-AlpNamespace", p);
            r.AssertSuccess();
            var result = Assert.Single(r.OutputOf<AlpNamespaceResult>());
            Assert.Equal(ChangeAction.Updated, result.LabelAction);
            Assert.Null(Label(ns, "istio-injection"));
            Assert.Equal(new[] { "Deployment/web" }, result.RestartedWorkloads);
        }

        [Fact]
        public void Wildcards_select_namespaces_and_an_unmatched_name_is_an_error()
        {
            var a = NewNamespace("wa");
            var b = NewNamespace("wb");
            var r = _host.Invoke("Add-AlpNamespace", Params(new[] { $"{_prefix}-w*", $"{_prefix}-nothing" }));
            Assert.Equal(new[] { a, b }, r.OutputOf<AlpNamespaceResult>().Select(x => x.Namespace).OrderBy(x => x, StringComparer.Ordinal));
            var err = Assert.Single(r.Errors);
            Assert.Equal("NamespaceNotFound,CalicoAlp.Cmdlets.AddAlpNamespaceCommand", err.FullyQualifiedErrorId);
            Assert.Equal($"{_prefix}-nothing", err.TargetObject);
        }

        [Fact]
        public void Platform_namespaces_are_refused_without_Force()
        {
            var before = ResourceVersion("istio-system");
            var r = _host.Invoke("Add-AlpNamespace", Params("istio-system"));
            var err = Assert.Single(r.Errors);
            Assert.Equal("ProtectedNamespace,CalicoAlp.Cmdlets.AddAlpNamespaceCommand", err.FullyQualifiedErrorId);
            Assert.Empty(r.Output);
            Assert.Equal(before, ResourceVersion("istio-system"));
        }

        [Fact]
        public void WhatIf_reports_what_it_would_do_and_changes_nothing()
        {
            var ns = NewNamespace("whatif");
            _make.Deployment(ns, "web", 1);
            var p = Params(ns);
            p["Restart"] = true;
            p["WhatIf"] = true;
            var r = _host.Invoke("Add-AlpNamespace", p);
            r.AssertSuccess();
            var result = Assert.Single(r.OutputOf<AlpNamespaceResult>());
            Assert.True(result.WhatIf);
            Assert.Equal(ChangeAction.Updated, result.LabelAction);
            Assert.Equal(new[] { "Deployment/web" }, result.RestartedWorkloads);
            Assert.Null(Label(ns, "istio-injection"));
            Assert.Null(_cluster.GetJson("-n", ns, "get", "deployment", "web")!["spec"]!["template"]!["metadata"]!["annotations"]);
        }

        [Fact]
        public void All_with_a_selector_and_pipeline_input_of_strings_and_namespace_objects()
        {
            var a = NewNamespace("sel1", new Dictionary<string, string> { ["team"] = _prefix });
            var b = NewNamespace("sel2", new Dictionary<string, string> { ["team"] = _prefix });
            var p = Params();
            p["All"] = true;
            p["Selector"] = $"team={_prefix}";
            var r = _host.Invoke("Add-AlpNamespace", p);
            r.AssertSuccess();
            Assert.Equal(new[] { a, b }, r.OutputOf<AlpNamespaceResult>().Select(x => x.Namespace).OrderBy(x => x, StringComparer.Ordinal));

            var c = NewNamespace("pipe");
            var viaObject = new PSObject();
            viaObject.Properties.Add(new PSNoteProperty("metadata", new PSObject(new Hashtable { ["name"] = c })));
            var piped = _host.Invoke("Remove-AlpNamespace", Params(), new object[] { a, viaObject });
            piped.AssertSuccess();
            Assert.Equal(new[] { c, a }.OrderBy(x => x, StringComparer.Ordinal), piped.OutputOf<AlpNamespaceResult>().Select(x => x.Namespace).OrderBy(x => x, StringComparer.Ordinal));
            Assert.Null(Label(a, "istio-injection"));
        }

        [Fact]
        public void A_read_only_user_gets_a_403_per_namespace()
        {
            var ns = NewNamespace("rbac");
            var r = _host.Invoke("Add-AlpNamespace", Params(ns, "viewer"));
            var err = Assert.Single(r.Errors);
            Assert.Equal(ErrorCategory.PermissionDenied, err.CategoryInfo.Category);
            Assert.Contains("may not patch namespaces", err.Exception.Message);
            Assert.Null(Label(ns, "istio-injection"));
        }

        [Fact]
        public void Other_cmdlets_results_are_not_taken_as_namespace_names()
        {
            var ns = NewNamespace("csv");
            var change = new ResourceChange("admin", _cluster.Kubeconfig, "v1", "FelixConfiguration", null, "default", ChangeAction.Unchanged, Array.Empty<FieldChange>());
            var refused = _host.Invoke("Add-AlpNamespace", new Hashtable(), new object[] { change });
            Assert.Empty(refused.Output);
            Assert.Contains(refused.Errors, e => e.Exception.Message.Contains("does not name a namespace", StringComparison.Ordinal));
            Assert.Null(Label("default", "istio-injection"));

            // With -Name given, the results still carry Context and Kubeconfig by property name.
            var bound = _host.Invoke("Add-AlpNamespace", new Hashtable { ["Name"] = ns }, new object[] { change });
            bound.AssertSuccess();
            Assert.Equal(ns, Assert.Single(bound.OutputOf<AlpNamespaceResult>()).Namespace);

            // A CSV row with a Name column works.
            var row = new PSObject();
            row.Properties.Add(new PSNoteProperty("Name", ns));
            var fromCsv = _host.Invoke("Remove-AlpNamespace", Params(), new object[] { row });
            fromCsv.AssertSuccess();
            Assert.Null(Label(ns, "istio-injection"));
        }

        [Fact]
        public void Remove_leaves_an_explicit_disabled_label_and_needs_Force_for_a_revision_label()
        {
            var disabled = NewNamespace("rmdis", new Dictionary<string, string> { ["istio-injection"] = "disabled" });
            var rev = NewNamespace("rmrev", new Dictionary<string, string> { ["istio.io/rev"] = "canary" });
            var r = _host.Invoke("Remove-AlpNamespace", Params(new[] { disabled, rev }));
            r.AssertSuccess();
            var byNs = r.OutputOf<AlpNamespaceResult>().ToDictionary(x => x.Namespace);
            Assert.Equal(ChangeAction.Unchanged, byNs[disabled].LabelAction);
            Assert.Equal(ChangeAction.Skipped, byNs[rev].LabelAction);
            Assert.Equal("disabled", Label(disabled, "istio-injection"));
            Assert.Equal("canary", Label(rev, "istio.io/rev"));

            var p = Params(rev);
            p["Force"] = true;
            _host.Invoke("Remove-AlpNamespace", p).AssertSuccess();
            Assert.Null(Label(rev, "istio.io/rev"));
        }

        [Fact]
        public void A_namespace_left_as_it_is_gets_no_restart()
        {
            var ns = NewNamespace("skiprestart", new Dictionary<string, string> { ["istio-injection"] = "disabled" });
            _make.Deployment(ns, "web", 1);
            var p = Params(ns);
            p["Restart"] = true;
            var r = _host.Invoke("Add-AlpNamespace", p);
            r.AssertSuccess();
            Assert.Empty(Assert.Single(r.OutputOf<AlpNamespaceResult>()).RestartedWorkloads);
            Assert.Null(_cluster.GetJson("-n", ns, "get", "deployment", "web")!["spec"]!["template"]!["metadata"]!["annotations"]);
        }

        [Fact]
        public void Calicos_literal_allow_istio_pilot_file_does_not_open_the_way_and_the_corrected_one_does()
        {
            var ns = NewNamespace("egresslit");
            _make.Deployment(ns, "web", 1);
            _cluster.KubectlApply($@"apiVersion: networking.k8s.io/v1
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
            var r = _host.Invoke("Add-AlpNamespace", Params(ns));
            Assert.StartsWith("Blocked by", Assert.Single(r.OutputOf<AlpNamespaceResult>()).PilotEgress, StringComparison.Ordinal);

            var p = Params(ns);
            p["AllowIstioPilot"] = true;
            var fixedUp = _host.Invoke("Add-AlpNamespace", p);
            fixedUp.AssertSuccess();
            Assert.Equal("Allowed", Assert.Single(fixedUp.OutputOf<AlpNamespaceResult>()).PilotEgress);
        }

        [Fact]
        public void Envoy_egress_to_istio_pilot_is_allowed_without_egress_policies()
        {
            var ns = NewNamespace("egressok");
            _make.Deployment(ns, "web", 1);
            var r = _host.Invoke("Add-AlpNamespace", Params(ns));
            r.AssertSuccess();
            Assert.Equal("Allowed", Assert.Single(r.OutputOf<AlpNamespaceResult>()).PilotEgress);
        }

        [Fact]
        public void A_Calico_policy_blocking_pilot_is_named()
        {
            var ns = NewNamespace("egressblock");
            _make.Deployment(ns, "web", 1);
            _cluster.KubectlApply($@"apiVersion: crd.projectcalico.org/v1
kind: NetworkPolicy
metadata: {{name: block-pilot, namespace: {ns}}}
spec:
  selector: all()
  types: [Egress]
  order: 10
  egress:
  - action: Deny
    protocol: TCP
    destination: {{ports: [15011]}}
  - action: Allow
");
            var r = _host.Invoke("Add-AlpNamespace", Params(ns));
            r.AssertSuccess();
            var verdict = Assert.Single(r.OutputOf<AlpNamespaceResult>()).PilotEgress;
            Assert.StartsWith($"Blocked by {ns}/block-pilot", verdict, StringComparison.Ordinal);
            Assert.Contains(r.Warnings, w => w.Contains("-AllowIstioPilot", StringComparison.Ordinal));
        }

        [Fact]
        public void AllowIstioPilot_adds_Calicos_policy_where_a_default_deny_blocks_pilot()
        {
            var ns = NewNamespace("egressfix");
            _make.Deployment(ns, "web", 1);
            _cluster.KubectlApply($@"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: default-deny-egress, namespace: {ns}}}
spec:
  podSelector: {{}}
  policyTypes: [Egress]
  egress:
  - ports: [{{protocol: UDP, port: 53}}]
");
            var blocked = _host.Invoke("Add-AlpNamespace", Params(ns));
            Assert.StartsWith("Blocked by", Assert.Single(blocked.OutputOf<AlpNamespaceResult>()).PilotEgress, StringComparison.Ordinal);

            var p = Params(ns);
            p["AllowIstioPilot"] = true;
            var r = _host.Invoke("Add-AlpNamespace", p);
            r.AssertSuccess();
            var result = Assert.Single(r.OutputOf<AlpNamespaceResult>());
            Assert.Equal("Allowed", result.PilotEgress);
            var policy = _cluster.GetJson("-n", ns, "get", "networkpolicies.crd.projectcalico.org", "allow-istio-pilot")!;
            Assert.Equal("projectcalico.org/name == 'istio-system'", policy["spec"]!["egress"]![0]!["destination"]!["namespaceSelector"]!.GetValue<string>());
            Assert.Equal("istio == 'pilot'", policy["spec"]!["egress"]![0]!["destination"]!["selector"]!.GetValue<string>());
            Assert.Equal(15011, policy["spec"]!["egress"]![0]!["destination"]!["ports"]![0]!.GetValue<int>());

            // idempotent: a second run finds pilot reachable and writes nothing
            var rv = policy["metadata"]!["resourceVersion"]!.GetValue<string>();
            _host.Invoke("Add-AlpNamespace", p).AssertSuccess();
            Assert.Equal(rv, _cluster.GetJson("-n", ns, "get", "networkpolicies.crd.projectcalico.org", "allow-istio-pilot")!["metadata"]!["resourceVersion"]!.GetValue<string>());
        }
    }
}
