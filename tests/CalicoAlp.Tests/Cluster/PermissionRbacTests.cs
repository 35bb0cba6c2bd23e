using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text.RegularExpressions;
using CalicoAlp.Core.Results;
using CalicoAlp.Core.Security;
using CalicoAlp.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>
    /// Least privilege, on the real API server: each cluster cmdlet (and mode) runs as a ServiceAccount bound to exactly
    /// the rules of <see cref="CmdletPermissions"/> (it works and reaches the intended state), and with each rule removed
    /// in turn: without a Required rule it stops with a PermissionDenied error naming the verb and resource, and the
    /// cluster is unchanged; without a Detection rule it still works (-WhatIf: previewed, nothing changed). One
    /// ServiceAccount per test, its ClusterRole rewritten per run. Rules with a When condition or for other Istio
    /// releases than the fixture's are not exercised here.
    /// </summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class PermissionRbacTests : IDisposable
    {
        private readonly ClusterFixture _cluster;
        private readonly ITestOutputHelper _out;
        private readonly WorkloadFactory _make;
        private readonly CmdletHost _host = new();
        private readonly string _ns = "rbac" + Guid.NewGuid().ToString("N")[..6];
        private readonly (int Major, int Minor) _istio;

        public PermissionRbacTests(ClusterFixture cluster, ITestOutputHelper output)
        {
            _cluster = cluster;
            _out = output;
            _make = new WorkloadFactory(cluster);
            var generation = File.ReadAllText(Path.Combine(cluster.StateDir, "fixture-generation"));
            var m = Regex.Match(generation, @"istio(\d+)\.(\d+)");
            Assert.True(m.Success, $"fixture generation '{generation}' names no Istio release");
            _istio = (int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value));
        }

        public void Dispose()
        {
            _make.DeleteNamespace(_ns);
            _host.Dispose();
        }

        private static IEnumerable<ErrorRecord> AllErrors(InvocationResult r) => r.Terminating == null ? r.Errors : r.Errors.Append(r.Terminating);

        private static Hashtable As(RestrictedUser user, Hashtable extra)
        {
            var p = new Hashtable { ["Kubeconfig"] = user.Kubeconfig, ["Context"] = RestrictedUser.ContextName };
            foreach (DictionaryEntry e in extra) p[e.Key] = e.Value;
            return p;
        }

        private Hashtable Admin(Hashtable extra)
        {
            var p = new Hashtable { ["Kubeconfig"] = _cluster.Kubeconfig, ["Context"] = "admin", ["Confirm"] = false };
            foreach (DictionaryEntry e in extra) p[e.Key] = e.Value;
            return p;
        }

        /// <summary>The mode's rules that apply to the fixture's Istio release.</summary>
        private List<PermissionRule> RulesOf(string command, string mode) =>
            CmdletPermissions.Effective(command, mode).Where(r => r.AppliesToIstio(_istio.Major, _istio.Minor)).ToList();

        private HashSet<string>? _served;

        /// <summary>Whether the API server serves the rule's resource (kubectl api-resources, read once): a rule for a resource it lacks cannot be exercised here.</summary>
        private bool Served(PermissionRule rule)
        {
            _served ??= new HashSet<string>(_cluster.KubectlOk("api-resources", "-o", "name").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);
            return _served.Contains(rule.FullResource);
        }

        /// <summary>Whether the other rules of a ClusterRole (namespaces do not narrow it) still grant all of <paramref name="rule"/>.</summary>
        private static bool Covered(PermissionRule rule, IEnumerable<PermissionRule> others) =>
            others.Any(o => o.ApiGroup == rule.ApiGroup && o.Resource == rule.Resource && rule.Verbs.All(o.Verbs.Contains)
                            && (o.ResourceNames.Count == 0 || rule.ResourceNames.All(o.ResourceNames.Contains)));

        private (string Verb, string Resource, string? Namespace) Probe(PermissionRule rule, IEnumerable<PermissionRule> others)
        {
            var verb = rule.Verbs.First(v => !others.Any(o => o.ApiGroup == rule.ApiGroup && o.Resource == rule.Resource && o.Verbs.Contains(v) && o.ResourceNames.Count == 0));
            var resource = rule.FullResource + (rule.ResourceNames.Count > 0 ? "/" + rule.ResourceNames[0] : "");
            var ns = rule.Namespaces?[0] == PermissionRule.TargetNamespaces ? _ns : rule.Namespaces?[0];
            return (verb, resource, ns);
        }

        /// <summary>
        /// Runs <paramref name="command"/> in <paramref name="mode"/>: first with each testable rule removed (Required: a
        /// PermissionDenied error naming it and <paramref name="state"/> unchanged; Detection: -WhatIf succeeds, state
        /// unchanged), then with exactly the rules (success; <paramref name="worked"/> checks the intended state).
        /// </summary>
        private void Check(string command, string mode, Hashtable parameters, Func<string> state, Action<InvocationResult> worked, bool whatIfForDetection = true)
        {
            var rules = RulesOf(command, mode);
            var all = RoleYaml.Rules(rules);
            using var user = new RestrictedUser(_cluster, all);
            var required = 0;
            var detection = 0;
            // A switch mode adds to its command's Default rules, which the Default mode's run removes one by one.
            var own = CmdletPermissions.For(command).Single(s => s.Mode == mode).Rules;
            (string, string, string?)? restored = null;
            foreach (var rule in rules.Where(r => r.When == null && own.Contains(r) && Served(r)))
            {
                var others = rules.Where(r => !ReferenceEquals(r, rule)).ToList();
                if (Covered(rule, others)) continue; // another rule of the same ClusterRole grants it too
                var probe = Probe(rule, others);
                user.SetRules(RoleYaml.Rules(others), probe, allowed: false, restored);
                restored = probe;
                var before = state();
                if (rule.Need == PermissionNeed.Required)
                {
                    required++;
                    var p = As(user, parameters);
                    p["Confirm"] = false;
                    var r = _host.Invoke(command, p);
                    var denied = AllErrors(r).Where(e => e.CategoryInfo.Category == ErrorCategory.PermissionDenied).ToList();
                    Assert.True(denied.Count > 0, $"{command} ({mode}) without '{string.Join(",", rule.Verbs)} {rule.FullResource}' gave no PermissionDenied error; errors: " +
                        string.Join(" | ", AllErrors(r).Select(e => e.Exception.Message)));
                    Assert.True(denied.Any(e => rule.Verbs.Any(v => e.Exception.Message.Contains($"may not {v} {rule.FullResource}", StringComparison.Ordinal))),
                        $"{command} ({mode}): the 403 does not name '{rule.FullResource}' with one of {string.Join(",", rule.Verbs)}: {denied[0].Exception.Message}");
                }
                else
                {
                    detection++;
                    var p = As(user, parameters);
                    p["Confirm"] = false;
                    if (whatIfForDetection) p["WhatIf"] = true;
                    var r = _host.Invoke(command, p);
                    Assert.True(!AllErrors(r).Any(), $"{command} ({mode}) without the detection rule '{string.Join(",", rule.Verbs)} {rule.FullResource}' failed: " +
                        string.Join(" | ", AllErrors(r).Select(e => e.Exception.Message)));
                    Assert.NotEmpty(r.Output);
                }
                Assert.Equal(before, state());
            }
            user.SetRules(all, restored ?? Probe(rules[0], Array.Empty<PermissionRule>()), allowed: true);
            var ok = _host.Invoke(command, As(user, new Hashtable(parameters) { ["Confirm"] = false }));
            ok.AssertSuccess();
            worked(ok);
            _out.WriteLine($"{command} ({mode}): {rules.Count} rules; {required} required and {detection} detection rules removed in turn.");
            Assert.True(required > 0, $"{command} ({mode}): no required rule was exercised");
        }

        /// <summary>The objects that exist (kind/name, labels and spec, so pod-template annotations too), read with one kubectl call.</summary>
        private string Objects(string ns, params string[] typeSlashNames)
        {
            var args = new List<string> { "-n", ns, "get" };
            args.AddRange(typeSlashNames);
            args.AddRange(new[] { "--ignore-not-found", "-o", "json" });
            var text = _cluster.KubectlOk(args.ToArray());
            if (string.IsNullOrWhiteSpace(text)) return "";
            var node = System.Text.Json.Nodes.JsonNode.Parse(text)!;
            var items = node["items"] is System.Text.Json.Nodes.JsonArray a ? a.ToList() : new List<System.Text.Json.Nodes.JsonNode?> { node };
            return string.Join("\n", items.Select(i => $"{i!["kind"]}/{i["metadata"]!["name"]} {i["metadata"]!["labels"]?.ToJsonString()} {i["spec"]?.ToJsonString()}"));
        }

        private string AlpState() => Objects("istio-system", "felixconfigurations.crd.projectcalico.org/default", "serviceentries.networking.istio.io/dikastes",
            "destinationrules.networking.istio.io/dikastes-mtls", "envoyfilters.networking.istio.io/ext-authz");

        private string Felix() => _cluster.GetJson("get", "felixconfigurations.crd.projectcalico.org", "default")?["spec"]?.ToJsonString() ?? "absent";

        private string Mesh(string kind, string name) => _cluster.GetJson("-n", "istio-system", "get", kind, name)?["spec"]?.ToJsonString() ?? "absent";

        [Fact]
        public void Enable_and_Disable_need_exactly_their_rules()
        {
            _host.Invoke("Disable-CalicoAppLayerPolicy", Admin(new Hashtable { ["Force"] = true })).AssertSuccess();
            try
            {
                Check("Enable-CalicoAppLayerPolicy", "Default", new Hashtable(), AlpState, r =>
                {
                    Assert.Contains("/var/run/nodeagent", Felix(), StringComparison.Ordinal);
                    Assert.NotEqual("absent", Mesh("envoyfilters.networking.istio.io", "ext-authz"));
                    Assert.NotEmpty(r.OutputOf<ResourceChange>());
                });
                Check("Disable-CalicoAppLayerPolicy", "Default", new Hashtable { ["Force"] = true }, AlpState, r =>
                {
                    Assert.DoesNotContain("/var/run/nodeagent", Felix(), StringComparison.Ordinal);
                    Assert.Equal("absent", Mesh("serviceentries.networking.istio.io", "dikastes"));
                    Assert.Equal("absent", Mesh("envoyfilters.networking.istio.io", "ext-authz"));
                }, whatIfForDetection: true);
            }
            finally
            {
                _host.Invoke("Disable-CalicoAppLayerPolicy", Admin(new Hashtable { ["Force"] = true }));
            }
        }

        private string InjectorState() =>
            (_cluster.GetJson("-n", "istio-system", "get", "configmap", "istio-sidecar-injector")?["data"]?["config"]?.GetValue<string>() ?? "absent") + "\n" +
            (_cluster.GetJson("-n", "istio-system", "get", "configmap", "istio-sidecar-injector-calicoalp-backup") != null);

        [Fact]
        public void Set_and_Remove_IstioInjectorPatch_live_need_exactly_their_rules()
        {
            Injector.InjectorLiveTests.Restore(_cluster);
            var stock = InjectorState();
            try
            {
                // A user who may edit the injector but not list pods: the change is made and reported, the pod list is
                // only a warning (it used to be a 403 error after the write).
                var withoutPods = RulesOf("Set-IstioInjectorPatch", "Live").Where(r => r.Resource != "pods").ToList();
                using (var user = new RestrictedUser(_cluster, RoleYaml.Rules(withoutPods)))
                {
                    var r = _host.Invoke("Set-IstioInjectorPatch", As(user, new Hashtable { ["Confirm"] = false }));
                    r.AssertSuccess();
                    Assert.Single(r.OutputOf<InjectorPatchResult>());
                    Assert.Contains(r.Warnings, w => w.Contains("may not list pods", StringComparison.Ordinal));
                    Assert.Contains("dikastes", InjectorState(), StringComparison.Ordinal);
                }
                Injector.InjectorLiveTests.Restore(_cluster);

                Check("Set-IstioInjectorPatch", "Live", new Hashtable(), InjectorState, r =>
                {
                    Assert.Contains("dikastes", InjectorState(), StringComparison.Ordinal);
                    Assert.Single(r.OutputOf<InjectorPatchResult>());
                });
                Check("Remove-IstioInjectorPatch", "Live", new Hashtable(), InjectorState, r =>
                {
                    Assert.Equal(stock.Split('\n')[0], InjectorState().Split('\n')[0]);
                    Assert.Single(r.OutputOf<InjectorPatchResult>());
                });
            }
            finally
            {
                Injector.InjectorLiveTests.Restore(_cluster);
            }
        }

        /// <summary>The namespace's labels, the workloads' pod-template annotations (restartedAt), whether allow-istio-pilot exists, and the pods.</summary>
        private string NamespaceState() =>
            Objects(_ns, "namespace/" + _ns) + "\n" + Objects(_ns, "deployments.apps,statefulsets.apps,daemonsets.apps,networkpolicies.crd.projectcalico.org,pods");

        private void UnlabelNamespace() => _cluster.KubectlOk("label", "namespace", _ns, "istio-injection-");

        [Fact]
        public void Add_and_Remove_AlpNamespace_need_exactly_their_rules_per_mode()
        {
            _make.Namespace(_ns);
            _make.Deployment(_ns, "web", 1);
            _make.StatefulSet(_ns, "db", 1);
            _make.DaemonSet(_ns, "agent", 1);
            _make.Deployment(_ns, "web2", 1, "istio-proxy", "dikastes");
            _make.StatefulSet(_ns, "db2", 1, "istio-proxy", "dikastes");
            _make.DaemonSet(_ns, "agent2", 1, "istio-proxy", "dikastes");
            _cluster.KubectlApply($"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: default-deny-egress, namespace: {_ns}}}\nspec: {{podSelector: {{}}, policyTypes: [Egress]}}\n");
            var name = new Hashtable { ["Name"] = _ns };

            Check("Add-AlpNamespace", "Default", name, NamespaceState, r =>
                Assert.Contains("\"istio-injection\":\"enabled\"", NamespaceState(), StringComparison.Ordinal));
            Check("Remove-AlpNamespace", "Default", name, NamespaceState, r =>
                Assert.DoesNotContain("istio-injection", NamespaceState(), StringComparison.Ordinal));

            Check("Add-AlpNamespace", "Restart", new Hashtable(name) { ["Restart"] = true }, NamespaceState, r =>
            {
                var s = NamespaceState();
                Assert.Equal(3, Regex.Matches(s, "restartedAt").Count);
                Assert.Contains("\"istio-injection\":\"enabled\"", s, StringComparison.Ordinal);
            });
            Check("Remove-AlpNamespace", "Restart", new Hashtable(name) { ["Restart"] = true }, NamespaceState, r =>
            {
                var s = NamespaceState();
                Assert.Equal(6, Regex.Matches(s, "restartedAt").Count);
                Assert.DoesNotContain("istio-injection", s, StringComparison.Ordinal);
            });

            Check("Add-AlpNamespace", "AllowIstioPilot", new Hashtable(name) { ["AllowIstioPilot"] = true }, NamespaceState, r =>
                Assert.Contains("NetworkPolicy/allow-istio-pilot", NamespaceState(), StringComparison.Ordinal));
            UnlabelNamespace();
        }

        [Fact]
        public void Test_AlpRequest_and_Compare_AlpPolicy_from_the_cluster_need_exactly_their_rules()
        {
            var request = new Hashtable
            {
                ["DestinationNamespace"] = "default", ["DestinationServiceAccount"] = "api", ["DestinationPort"] = 8080,
                ["SourceIP"] = "10.1.0.9", ["Method"] = "GET", ["Path"] = "/orders",
            };
            CheckPiped("Test-AlpRequest", "Cluster", request, null, r => Assert.Single(r.OutputOf<RequestDecision>()));
            var difference = Path.Combine(Path.GetTempPath(), $"calicoalp-rbac-{Guid.NewGuid():N}.yaml");
            File.WriteAllText(difference, "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: rbac-deny}\nspec:\n  selector: all()\n  ingress: [{action: Deny}]\n");
            try
            {
                var compare = new Hashtable(request) { ["DifferencePolicyPath"] = difference };
                compare.Remove("Method");
                compare.Remove("Path");
                compare.Remove("SourceIP");
                var lines = new[] { "GET", "POST" }.Select(m =>
                {
                    var o = new PSObject();
                    o.Properties.Add(new PSNoteProperty("Method", m));
                    o.Properties.Add(new PSNoteProperty("Path", "/orders"));
                    o.Properties.Add(new PSNoteProperty("SourceIP", "10.1.0.9"));
                    return (object)o;
                }).ToList();
                CheckPiped("Compare-AlpPolicy", "Cluster", compare, lines, r => Assert.Single(r.OutputOf<ComparisonSummary>()));
            }
            finally
            {
                File.Delete(difference);
            }
        }

        [Fact]
        public void Get_AlpStatus_needs_only_its_reads_and_turns_each_refused_one_into_Skipped_checks_never_an_error()
        {
            var rules = RulesOf("Get-AlpStatus", "Default");
            Assert.All(rules, r => Assert.Equal(PermissionNeed.Detection, r.Need));
            using var user = new RestrictedUser(_cluster, RoleYaml.Rules(rules));
            var parameters = new Hashtable();
            (string, string, string?)? restored = null;
            var removed = 0;
            var skippedBy = new List<string>();
            foreach (var rule in rules.Where(r => r.When == null && Served(r)))
            {
                var others = rules.Where(r => !ReferenceEquals(r, rule)).ToList();
                if (Covered(rule, others)) continue;
                var probe = Probe(rule, others);
                user.SetRules(RoleYaml.Rules(others), probe, allowed: false, restored);
                restored = probe;
                removed++;
                var r = _host.Invoke("Get-AlpStatus", As(user, parameters));
                Assert.True(!AllErrors(r).Any(), $"Get-AlpStatus without '{string.Join(",", rule.Verbs)} {rule.FullResource}' gave an error: " +
                    string.Join(" | ", AllErrors(r).Select(e => e.Exception.Message)));
                var results = r.OutputOf<AlpCheckResult>().ToList();
                Assert.NotEmpty(results);
                Assert.DoesNotContain(results, x => x.Check == "Cluster.Connection");
                var skipped = results.Where(x => x.Status == AlpCheckStatus.Skipped && x.Message.Contains("forbidden (403)", StringComparison.Ordinal)).ToList();
                if (skipped.Count > 0) skippedBy.Add($"{rule.FullResource}: {string.Join(",", skipped.Select(x => x.Check))}");
            }
            user.SetRules(RoleYaml.Rules(rules), restored ?? Probe(rules[0], Array.Empty<PermissionRule>()), allowed: true);
            var ok = _host.Invoke("Get-AlpStatus", As(user, parameters));
            ok.AssertSuccess();
            var all = ok.OutputOf<AlpCheckResult>().ToList();
            Assert.DoesNotContain(all, x => x.Status == AlpCheckStatus.Skipped);
            var admin = _host.Invoke("Get-AlpStatus", new Hashtable { ["Kubeconfig"] = _cluster.Kubeconfig, ["Context"] = "admin" }).OutputOf<AlpCheckResult>().ToList();
            Assert.Equal(admin.Select(x => $"{x.Check}:{x.Status}"), all.Select(x => $"{x.Check}:{x.Status}"));
            _out.WriteLine($"Get-AlpStatus: {rules.Count} rules, {removed} removed in turn; Skipped checks by refused read: {string.Join("; ", skippedBy)}");
            Assert.True(skippedBy.Count >= 3, "fewer than 3 refused reads showed as Skipped checks: " + string.Join("; ", skippedBy));
        }

        /// <summary><see cref="Check"/> for a read-only cmdlet fed from the pipeline (no state to compare, no detection rules).</summary>
        private void CheckPiped(string command, string mode, Hashtable parameters, List<object>? input, Action<InvocationResult> worked)
        {
            var rules = RulesOf(command, mode);
            Assert.All(rules, r => Assert.Equal(PermissionNeed.Required, r.Need));
            using var user = new RestrictedUser(_cluster, RoleYaml.Rules(rules));
            (string, string, string?)? restored = null;
            foreach (var rule in rules.Where(r => r.When == null && Served(r)))
            {
                var others = rules.Where(r => !ReferenceEquals(r, rule)).ToList();
                var probe = Probe(rule, others);
                user.SetRules(RoleYaml.Rules(others), probe, allowed: false, restored);
                restored = probe;
                var r = _host.Invoke(command, As(user, parameters), input);
                var denied = Assert.Single(AllErrors(r), e => e.CategoryInfo.Category == ErrorCategory.PermissionDenied);
                Assert.Contains($"may not {rule.Verbs[0]} {rule.FullResource}", denied.Exception.Message, StringComparison.Ordinal);
            }
            user.SetRules(RoleYaml.Rules(rules), restored ?? Probe(rules[0], Array.Empty<PermissionRule>()), allowed: true);
            var ok = _host.Invoke(command, As(user, parameters), input);
            ok.AssertSuccess();
            worked(ok);
        }
    }
}
