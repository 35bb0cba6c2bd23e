using System.Collections.Generic;
using System.Linq;
using System.Net;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Model;
using Xunit;

namespace CalicoAlp.Tests.Policy.Reference
{
    /// <summary>
    /// The rule index (v3.30+ without a trace) must give exactly the decisions of the linear walk and of the reference
    /// evaluator, also on large sets with the shapes it treats specially: wide CIDR ranges, /16s dense with boundaries, more
    /// path lists than it merges at once, ports, names, IP sets, Pass/Log, staged policies.
    /// </summary>
    public class RuleIndexTests
    {
        public static IEnumerable<object[]> Seeds()
        {
            foreach (var version in new[] { "latest", "3.30.2", "3.31.6" })
            {
                for (int seed = 1; seed <= 4; seed++) yield return new object[] { version, seed };
            }
        }

        private static RefDecision Of(PolicyDecision d) => new(d.Verdict.ToString(), d.Status.ToString(), d.Tier, d.Policy, d.Profile, d.RuleIndex);

        [Theory]
        [MemberData(nameof(Seeds))]
        public void Index_agrees_with_linear_walk_and_reference_on_large_sets(string version, int seed)
        {
            var gen = new RandomPolicyGenerator(seed * 104729 + version.Length, large: true);
            int decisive = 0, allowed = 0, total = 0;
            for (int s = 0; s < 4; s++)
            {
                var set = gen.PolicySet();
                var engine = PolicyEngine.Compile(set, CalicoBehavior.Parse(version));
                var reference = new ReferenceEvaluator(set, version == "latest" ? null : version);
                for (int q = 0; q < 150; q++)
                {
                    var request = gen.Request();
                    var prepared = engine.Prepare(request);
                    engine.UseRuleIndex = true;
                    var indexed = Of(engine.Evaluate(prepared));
                    engine.UseRuleIndex = false;
                    var linear = Of(engine.Evaluate(prepared));
                    var expected = reference.Evaluate(request);
                    if (indexed != linear || indexed != expected)
                    {
                        var trace = new List<TraceStep>();
                        engine.Evaluate(prepared, trace);
                        Assert.Fail($"seed {seed} set {s} request {q} ({version}):\nreference {expected}\nlinear    {linear}\nindexed   {indexed}\n" +
                                    $"request {request}\ntrace:\n{string.Join("\n", trace)}");
                    }
                    total++;
                    if (linear.Tier != null && linear.RuleIndex >= 0) decisive++;
                    if (linear.Verdict == "Allow") allowed++;
                }
            }
            Assert.True(decisive > total / 10, $"only {decisive} of {total} decided by a rule");
            Assert.True(allowed > total / 20 && allowed < total - total / 20, $"{allowed} of {total} allowed");
        }

        private static PolicySet OneTier(params RuleDef[] rules) => new()
        {
            Tiers = [new TierDef("t", 10, RuleAction.Deny, SourceLocation.None)],
            Policies =
            [
                new PolicyDef
                {
                    Name = "t.p", Kind = PolicyKind.GlobalNetworkPolicy, Tier = "t", Order = 1, Selector = "all()",
                    Types = [PolicyType.Ingress], Ingress = rules,
                },
            ],
        };

        private static AlpRequest To(string sourceIp, string path = "/x") => new()
        {
            SourcePrincipal = "spiffe://cluster.local/ns/a/sa/s1",
            SourceIP = IPAddress.Parse(sourceIp),
            SourcePort = 40000,
            DestinationIP = IPAddress.Parse("10.9.0.1"),
            DestinationPort = 80,
            DestinationWorkload = new WorkloadInfo("b", "s2", new Dictionary<string, string> { ["app"] = "api" }),
            Method = "GET",
            Path = path,
        };

        [Fact]
        public void A_wide_range_and_a_dense_16_are_found()
        {
            // 2,500 single addresses in 10.0.0.0/16 (a /16 dense with boundaries: more than the 4,096 boundaries above which
            // the lookup tables are built) and 20 in 10.1.0.0/24 (a sparse /16), each its own Deny rule, then one Allow for
            // 10.0.0.0/8 (spanning more elementary intervals than the index lists per interval).
            var addresses = new List<string>();
            for (int i = 0; i < 2500; i++) addresses.Add($"10.0.{i / 120}.{i % 120 * 2 + 1}"); // not adjacent: two boundaries each
            for (int i = 0; i < 20; i++) addresses.Add($"10.1.0.{i * 3 + 1}");
            var rules = addresses.Select(a => new RuleDef
            {
                Action = RuleAction.Deny, ActionText = "Deny", Source = new EntityRuleDef { Nets = [a + "/32"] },
            }).ToList();
            rules.Add(new RuleDef { Action = RuleAction.Allow, ActionText = "Allow", Source = new EntityRuleDef { Nets = ["10.0.0.0/8"] } });
            var engine = PolicyEngine.Compile(OneTier([.. rules]));
            for (int i = 0; i < addresses.Count; i++)
            {
                var d = engine.Evaluate(To(addresses[i]));
                Assert.Equal((Verdict.Deny, i), (d.Verdict, d.RuleIndex));
            }
            int wide = addresses.Count;
            foreach (var other in new[] { "10.0.0.2", "10.0.0.250", "10.0.20.240", "10.0.21.1", "10.1.0.2", "10.1.1.1", "10.200.1.1" })
            {
                var d = engine.Evaluate(To(other));
                Assert.Equal((Verdict.Allow, wide), (d.Verdict, d.RuleIndex));
            }
            Assert.Equal(DecisionReason.TierDefaultAction, engine.Evaluate(To("11.0.0.1")).Reason);
            Assert.Equal(DecisionReason.TierDefaultAction, engine.Evaluate(To("9.255.255.255")).Reason);
        }

        [Fact]
        public void More_matching_path_prefixes_than_merged_lists_still_find_the_first_rule()
        {
            // A rule at every level of a deep path, in reverse order, so that the deepest prefix's rule comes first.
            var levels = new[] { "/a/b/c/d/e/f/g/h", "/a/b/c/d/e/f/g", "/a/b/c/d/e/f", "/a/b/c/d/e", "/a/b/c/d", "/a/b/c", "/a/b", "/a", "/" };
            var rules = levels.Select(p => new RuleDef
            {
                Action = RuleAction.Allow, ActionText = "Allow", Http = new HttpMatchDef([], [new HttpPathDef(null, p)]),
            }).ToArray();
            var engine = PolicyEngine.Compile(OneTier(rules));
            Assert.Equal(0, engine.Evaluate(To("10.1.1.1", "/a/b/c/d/e/f/g/h/i")).RuleIndex);
            Assert.Equal(4, engine.Evaluate(To("10.1.1.1", "/a/b/c/d/x")).RuleIndex);
            Assert.Equal(7, engine.Evaluate(To("10.1.1.1", "/a/bc")).RuleIndex);
            Assert.Equal(8, engine.Evaluate(To("10.1.1.1", "/z")).RuleIndex);
            Assert.Equal(CheckStatus.INVALID_ARGUMENT, engine.Evaluate(To("10.1.1.1", "a/b")).Status);
        }
    }
}
