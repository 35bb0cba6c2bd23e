using System.Collections.Generic;
using CalicoAlp.Core.Policy.Evaluation;
using Xunit;

namespace CalicoAlp.Tests.Policy.Reference
{
    /// <summary>The compiled engine and the line-by-line reference evaluator must agree on random policy sets and requests.</summary>
    public class DifferentialTests
    {
        public static IEnumerable<object[]> Seeds()
        {
            foreach (var version in new[] { "latest", "3.29.0", "3.30.2", "3.31.6", "3.32.1" })
            {
                for (int seed = 1; seed <= 8; seed++) yield return new object[] { version, seed };
            }
        }

        [Theory]
        [MemberData(nameof(Seeds))]
        public void Engine_agrees_with_reference(string version, int seed)
        {
            int versionSalt = 0;
            foreach (char c in version) versionSalt = versionSalt * 31 + c; // stable (string.GetHashCode is randomised per process)
            var gen = new RandomPolicyGenerator(seed * 7919 + (versionSalt & 0xffff));
            int decisive = 0, allowed = 0;
            for (int s = 0; s < 25; s++)
            {
                var set = gen.PolicySet();
                var engine = PolicyEngine.Compile(set, CalicoBehavior.Parse(version));
                var reference = new ReferenceEvaluator(set, version == "latest" ? null : version);
                for (int q = 0; q < 20; q++)
                {
                    var request = gen.Request();
                    var trace = new List<TraceStep>();
                    var d = engine.Evaluate(request, trace);
                    var r = reference.Evaluate(request);
                    var actual = new RefDecision(d.Verdict.ToString(), d.Status.ToString(), d.Tier, d.Policy, d.Profile, d.RuleIndex);
                    if (r != actual)
                    {
                        Assert.Fail($"seed {seed} set {s} request {q} ({version}):\nreference {r}\nengine    {actual}\nrequest {request}\n" +
                                    $"policies:\n{string.Join("\n", set.Policies)}\ntrace:\n{string.Join("\n", trace)}");
                    }
                    // Without a trace the engine takes its fast path (the rule index for v3.30+, pre-checks for classic).
                    var f = engine.Evaluate(request);
                    var fast = new RefDecision(f.Verdict.ToString(), f.Status.ToString(), f.Tier, f.Policy, f.Profile, f.RuleIndex);
                    if (r != fast)
                    {
                        Assert.Fail($"seed {seed} set {s} request {q} ({version}), without a trace:\nreference {r}\nengine    {fast}\nrequest {request}\n" +
                                    $"policies:\n{string.Join("\n", set.Policies)}");
                    }
                    if (d.Reason == DecisionReason.PolicyRule) decisive++;
                    if (d.Verdict == Verdict.Allow) allowed++;
                }
            }
            // The generator must exercise real rule decisions and both verdicts, or agreement proves little.
            Assert.True(decisive > 5, $"only {decisive} rule decisions");
            Assert.True(allowed > 10 && allowed < 490, $"{allowed} of 500 allowed");
        }
    }
}
