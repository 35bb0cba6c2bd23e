using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Comparison;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Loading;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Replay;
using Xunit;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Tests.Policy.Comparison
{
    /// <summary>The Core comparison: one replay of a log, each request evaluated by the reference and the difference set.</summary>
    public sealed class PolicyComparerTests : IDisposable
    {
        private const string Reference = @"
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: api, namespace: web}
spec:
  selector: app == 'api'
  ingress:
  - action: Allow
    source: {nets: [10.1.0.0/24]}
    http: {methods: [GET]}
  - action: Deny
    source: {nets: [10.3.0.0/24]}
";

        // rule 0 narrowed to 10.1.0.0/25 (10.1.0.200 and .201 newly denied), new rule 1 allows 10.2.0.0/24 (newly
        // allowed), the 10.3 deny moves to rule 2 (same verdict, other rule), rule 3 is matched by no line.
        private const string Difference = @"
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: api, namespace: web}
spec:
  selector: app == 'api'
  ingress:
  - action: Allow
    source: {nets: [10.1.0.0/25]}
    http: {methods: [GET]}
  - action: Allow
    source: {nets: [10.2.0.0/24]}
  - action: Deny
    source: {nets: [10.3.0.0/24]}
  - action: Deny
    source: {nets: [10.7.0.0/16]}
";

        private static readonly WorkloadInfo Api = new("web", "api", new Dictionary<string, string> { ["app"] = "api" });

        private readonly string _dir = Path.Combine(Path.GetTempPath(), "calicoalp-compare-" + Guid.NewGuid().ToString("N"));

        public PolicyComparerTests() => Directory.CreateDirectory(_dir);

        public void Dispose() => Directory.Delete(_dir, true);

        private string Write(string name, string text)
        {
            var path = Path.Combine(_dir, name);
            File.WriteAllText(path, text);
            return path;
        }

        private static string Line(string method, string path, string sourceIp) =>
            "{\"method\":\"" + method + "\",\"path\":\"" + path + "\",\"protocol\":\"HTTP/1.1\",\"response_code\":200," +
            "\"downstream_local_address\":\"10.2.0.7:8080\",\"downstream_remote_address\":\"" + sourceIp + ":40000\"}";

        /// <summary>Lines 1-7: unchanged, newly denied, newly allowed, unchanged, other rule, a bad line, newly denied.</summary>
        private string Log() => Write("access.json", string.Join("\n",
            Line("GET", "/a", "10.1.0.5"),
            Line("GET", "/a", "10.1.0.200"),
            Line("GET", "/a", "10.2.0.9"),
            Line("POST", "/a", "10.1.0.5"),
            Line("GET", "/a", "10.3.0.4"),
            "{\"method\":\"GET\",\"path\":",
            Line("GET", "/b", "10.1.0.201")) + "\n");

        private sealed class Messages : IReplaySink
        {
            public List<(string File, long Line, string Message)> Errors { get; } = new();
            public void Decision(string file, long line, AlpRequest request, PolicyDecision decision) => throw new InvalidOperationException("decisions go to the comparer");
            public void Error(string file, long line, string message) => Errors.Add((file, line, message));
            public void Progress(long lines, int percent, string file) { }
        }

        private static (PolicyComparer Comparer, ComparedSets Sets) Comparer(string reference, string difference, bool promote = false)
        {
            var sets = ComparedSets.Create(PolicyLoader.LoadText(reference, "reference.yaml"), PolicyLoader.LoadText(difference, "difference.yaml"), promote);
            var (r, d) = sets.Compile(CalicoBehavior.Baseline);
            return (new PolicyComparer(r, d, sets), sets);
        }

        private ComparisonSummary CompareLog(PolicyComparer comparer, List<ComparedRequest> kept, Messages messages, Predicate<ChangeKind>? keep = null) =>
            comparer.CompareLogs([Log()], new ReplayOptions { Destination = Api }, messages, keep ?? (_ => true), kept, CancellationToken.None);

        [Fact]
        public void Exactly_the_expected_lines_change_in_both_directions()
        {
            var (comparer, _) = Comparer(Reference, Difference);
            var kept = new List<ComparedRequest>();
            var messages = new Messages();
            var summary = CompareLog(comparer, kept, messages);

            Assert.Equal(7, summary.Lines);
            Assert.Equal(6, summary.Compared);
            Assert.Equal(1, summary.Errors);
            Assert.Equal(6, Assert.Single(messages.Errors).Line);
            Assert.Equal(new long[] { 1, 2, 3, 4, 5, 7 }, kept.Select(k => k.Line).ToArray());
            Assert.Equal(new[] { ChangeKind.Unchanged, ChangeKind.NewlyDenied, ChangeKind.NewlyAllowed, ChangeKind.Unchanged, ChangeKind.OtherRule, ChangeKind.NewlyDenied },
                kept.Select(k => k.Change).ToArray());
            Assert.Equal(2, summary.Unchanged);
            Assert.Equal(2, summary.NewlyDenied);
            Assert.Equal(1, summary.NewlyAllowed);
            Assert.Equal(1, summary.OtherRule);
            Assert.False(summary.IdenticalSets);

            // Each request's two decisions are what each engine answers on its own.
            foreach (var k in kept)
            {
                Assert.Equal(comparer.Reference.Evaluate(k.Request).ToString(), k.Reference.ToString());
                Assert.Equal(comparer.Difference.Evaluate(k.Request).ToString(), k.Difference.ToString());
            }
            var otherRule = kept.Single(k => k.Change == ChangeKind.OtherRule);
            Assert.Equal((1, 2), (otherRule.Reference.RuleIndex, otherRule.Difference.RuleIndex));
            Assert.Equal("web/api", otherRule.Difference.Policy);

            Assert.Equal(1, summary.BySource["10.1.0.200"].NewlyDenied);
            Assert.Equal(1, summary.BySource["10.2.0.9"].NewlyAllowed);
            Assert.False(summary.BySource.ContainsKey("10.1.0.5"));
            Assert.Equal(2, summary.ByPolicy[nameof(DecisionReason.TierDefaultAction)].NewlyDenied);
            Assert.Equal(1, summary.ByPolicy["web/api"].NewlyAllowed);
            Assert.Equal(1, summary.ByPolicy["web/api"].OtherRule);
        }

        [Fact]
        public void Rule_hits_of_both_sets_and_the_difference_rules_no_request_matched()
        {
            var (comparer, _) = Comparer(Reference, Difference);
            var summary = CompareLog(comparer, new List<ComparedRequest>(), new Messages(), _ => false);
            Assert.Equal(new[] { "policy web/api ingress[0] Allow: 1", "policy web/api ingress[1] Allow: 1", "policy web/api ingress[2] Deny: 1" },
                summary.RuleHits.Select(h => h.ToString()).ToArray());
            Assert.Equal(new[] { "policy web/api ingress[0] Allow: 3", "policy web/api ingress[1] Deny: 1" },
                summary.ReferenceRuleHits.Select(h => h.ToString()).ToArray());
            var unused = Assert.Single(summary.UnusedRules);
            Assert.Equal(("web/api", 3, RuleAction.Deny, 0L), (unused.Policy, unused.RuleIndex, unused.Action, unused.Hits));
        }

        [Fact]
        public void Piped_requests_are_compared_one_by_one_the_same_way()
        {
            var (comparer, _) = Comparer(Reference, Difference);
            var request = new AlpRequest { SourceIP = System.Net.IPAddress.Parse("10.1.0.200"), DestinationWorkload = Api, DestinationPort = 8080, Method = "GET", Path = "/" };
            Assert.Equal(ChangeKind.NewlyDenied, comparer.Compare(request, out var r, out var d));
            Assert.Equal((Verdict.Allow, Verdict.Deny), (r.Verdict, d.Verdict));
            comparer.CountError();
            var summary = comparer.Complete();
            Assert.Equal((2L, 1L, 1L, 1L), (summary.Lines, summary.Compared, summary.NewlyDenied, summary.Errors));
            Assert.Equal("policy web/api ingress[0] Allow: 1", Assert.Single(summary.ReferenceRuleHits).ToString());
        }

        [Fact]
        public void Identical_sets_say_so_and_change_nothing()
        {
            // Same objects, other file, other order, other formatting.
            const string reordered = @"
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {namespace: web, name: api}
spec:
  ingress:
  - {action: Allow, http: {methods: [GET]}, source: {nets: [10.1.0.0/24]}}
  - {action: Deny, source: {nets: [10.3.0.0/24]}}
  selector: app == 'api'
";
            var (comparer, sets) = Comparer(Reference, reordered);
            Assert.True(sets.Identical);
            var summary = CompareLog(comparer, new List<ComparedRequest>(), new Messages());
            Assert.True(summary.IdenticalSets);
            Assert.Equal((6L, 0L, 0L, 0L), (summary.Unchanged, summary.NewlyDenied, summary.NewlyAllowed, summary.OtherRule));

            Assert.False(Comparer(Reference, Difference).Sets.Identical);
            Assert.False(Comparer(Reference, Reference.Replace("10.3.0.0/24", "10.3.0.0/25", StringComparison.Ordinal)).Sets.Identical);
        }

        private const string StagedReplacement = @"
---
apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata: {name: api, namespace: web}
spec:
  selector: app == 'api'
  ingress:
  - action: Allow
    source: {nets: [10.2.0.0/24]}
";

        [Fact]
        public void A_staged_policy_changes_nothing_unless_promoted_and_then_replaces_the_enforced_policy_of_its_name()
        {
            var (comparer, sets) = Comparer(Reference, Reference + StagedReplacement);
            Assert.False(sets.Identical);
            Assert.Equal(0, sets.PromotedStaged);
            var summary = CompareLog(comparer, new List<ComparedRequest>(), new Messages());
            Assert.Equal(6, summary.Unchanged);

            (comparer, sets) = Comparer(Reference, Reference + StagedReplacement, promote: true);
            Assert.Equal(1, sets.PromotedStaged);
            var promoted = Assert.Single(sets.Difference.Policies);
            Assert.Equal((PolicyKind.NetworkPolicy, "web/api"), (promoted.Kind, promoted.DisplayName));
            var kept = new List<ComparedRequest>();
            summary = CompareLog(comparer, kept, new Messages());
            // Only 10.2.0.0/24 is allowed now: lines 1, 2 and 7 newly denied, line 3 newly allowed, 4 and 5 still denied.
            Assert.Equal(new long[] { 1, 2, 3, 7 }, kept.Where(k => k.Change is ChangeKind.NewlyDenied or ChangeKind.NewlyAllowed).Select(k => k.Line).ToArray());
            Assert.Equal((3L, 1L), (summary.NewlyDenied, summary.NewlyAllowed));
            Assert.Equal(1, summary.PromotedStaged);
        }

        [Fact]
        public void A_promoted_staged_delete_removes_the_enforced_policy_and_a_new_staged_global_policy_is_enforced()
        {
            const string delete = @"
---
apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata: {name: api, namespace: web}
spec: {stagedAction: Delete}
---
apiVersion: projectcalico.org/v3
kind: StagedGlobalNetworkPolicy
metadata: {name: block-10-1-0-200}
spec:
  order: 1
  selector: app == 'api'
  ingress:
  - action: Deny
    source: {nets: [10.1.0.200/32]}
  - action: Pass
";
            var (comparer, sets) = Comparer(Reference, Reference + delete, promote: true);
            Assert.Equal(2, sets.PromotedStaged);
            var policy = Assert.Single(sets.Difference.Policies);
            Assert.Equal((PolicyKind.GlobalNetworkPolicy, "block-10-1-0-200"), (policy.Kind, policy.Name));
            var kept = new List<ComparedRequest>();
            var summary = CompareLog(comparer, kept, new Messages());
            // web/api is gone: what it denied (lines 3, 4, 5) is allowed by the namespace profile; line 2 is denied by the
            // promoted global policy (the same verdict as before for no line: it was allowed).
            Assert.Equal(new long[] { 2, 3, 4, 5 }, kept.Where(k => k.Change is ChangeKind.NewlyDenied or ChangeKind.NewlyAllowed).Select(k => k.Line).ToArray());
            var line2 = kept.Single(k => k.Line == 2);
            Assert.Equal((ChangeKind.NewlyDenied, "block-10-1-0-200", 0), (line2.Change, line2.Difference.Policy, line2.Difference.RuleIndex));
            Assert.Equal((1L, 3L), (summary.NewlyDenied, summary.NewlyAllowed));
        }

        [Fact]
        public void A_staged_action_that_is_neither_Set_nor_Delete_is_a_loader_error_with_its_field()
        {
            var ex = Assert.Throws<AlpException>(() => PolicyLoader.LoadText(StagedReplacement.Replace("spec:\n", "spec:\n  stagedAction: Remove\n", StringComparison.Ordinal), "staged.yaml"));
            Assert.Equal("PolicyFileInvalid", ex.ErrorId);
            Assert.Contains("spec.stagedAction", ex.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Pods_namespaces_and_service_accounts_of_either_set_identify_workloads_for_both()
        {
            const string pod = @"
---
apiVersion: v1
kind: Pod
metadata: {name: fe-1, namespace: web, labels: {app: fe}}
spec: {serviceAccountName: frontend}
status: {podIP: 10.5.0.5}
";
            const string bySa = @"
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: api, namespace: web}
spec:
  selector: app == 'api'
  ingress:
  - action: Allow
    source: {serviceAccounts: {names: [frontend]}}
";
            // The pod is only in the reference files; the difference set allows its service account.
            var (comparer, sets) = Comparer(Reference + pod, bySa);
            Assert.Single(sets.Difference.Pods);
            var request = new AlpRequest { SourceIP = System.Net.IPAddress.Parse("10.5.0.5"), DestinationWorkload = Api, DestinationPort = 8080, Method = "GET", Path = "/" };
            request = request with { SourceWorkload = comparer.Reference.PodByIp(request.SourceIP) };
            Assert.Equal(ChangeKind.NewlyAllowed, comparer.Compare(request, out _, out var d));
            Assert.Equal("web/api", d.Policy);
        }

        [Fact]
        public void A_bad_policy_file_names_the_set_the_file_the_line_and_the_field()
        {
            var good = Write("good.yaml", Reference);
            var bad = Write("bad.yaml", Difference.Replace("  ingress:\n", "  types: [Sideways]\n  ingress:\n", StringComparison.Ordinal));
            Assert.NotNull(ComparedSets.Load(PolicySetRole.Reference, [good]));
            var ex = Assert.Throws<AlpException>(() => ComparedSets.Load(PolicySetRole.Difference, [good, bad]));
            Assert.StartsWith("Difference policy set: " + bad + ":7:", ex.Message, StringComparison.Ordinal);
            Assert.Contains("spec.types[0]", ex.Message, StringComparison.Ordinal);
            Assert.Equal("PolicyFileInvalid", ex.ErrorId);
            Assert.StartsWith(bad + ":", Assert.IsType<string>(ex.Target), StringComparison.Ordinal);
        }

        [Fact]
        public void The_replay_summary_counts_the_hits_of_each_deciding_rule()
        {
            var engine = PolicyEngine.Compile(PolicyLoader.LoadText(Reference, "reference.yaml"));
            var decisions = new List<PolicyDecision>();
            var summary = new AccessLogReplayer(engine, new ReplayOptions { Destination = Api })
                .Replay([Log()], new DecisionList(decisions), CancellationToken.None);
            Assert.Equal(6, decisions.Count);
            var byHand = decisions.Where(d => d.RuleIndex >= 0).GroupBy(d => (d.Policy, d.RuleIndex)).ToDictionary(g => g.Key, g => (long)g.Count());
            Assert.Equal(2, summary.RuleHits.Count);
            foreach (var hit in summary.RuleHits) Assert.Equal(byHand[(hit.Policy, hit.RuleIndex)], hit.Hits);
            Assert.Equal(3, summary.RuleHits[0].Hits);
            Assert.Empty(summary.UnusedRules);
        }

        private sealed class DecisionList(List<PolicyDecision> decisions) : IReplaySink
        {
            public void Decision(string file, long line, AlpRequest request, PolicyDecision decision) => decisions.Add(decision);
            public void Error(string file, long line, string message) { }
            public void Progress(long lines, int percent, string file) { }
        }
    }
}
