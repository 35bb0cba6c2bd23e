using System.Collections.Generic;
using System.Linq;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Tests.Policy.Reference;
using Xunit;
using Xunit.Abstractions;

namespace CalicoAlp.Tests.Properties
{
    /// <summary>
    /// The compiled engine (with and without a trace, so both its traced path and its fast path) against the line-by-line
    /// reference evaluator, on policy sets and requests CsCheck generates. CsCheck draws the seed of the differential
    /// tests' generator, so a failure is reported with CsCheck's seed and the smallest policy set it found.
    /// </summary>
    public class EnginePropertyTests
    {
        private static readonly string[] Versions = { "latest", "3.29.0", "3.30.2", "3.31.6", "3.32.1" };
        private readonly ITestOutputHelper _output;
        public EnginePropertyTests(ITestOutputHelper output) => _output = output;

        internal sealed record Case(string Version, PolicySet Set, IReadOnlyList<AlpRequest> Requests)
        {
            public override string ToString() =>
                $"Calico {Version}\npolicies:\n{string.Join("\n", Set.Policies)}\nprofiles: {string.Join(", ", Set.Profiles.Select(p => p.Name))}\n" +
                $"requests:\n{string.Join("\n", Requests)}";
        }

        private static ulong SizeOf(Case c) =>
            (ulong)(c.Set.Tiers.Count * 8 + c.Set.Policies.Sum(p => 4 + p.Ingress.Count + p.Egress.Count) + c.Set.Profiles.Count * 4 + c.Requests.Count);

        private static readonly CsCheck.Gen<Case> Cases = new DrawGen<Case>(d =>
        {
            var version = d.Pick(Versions);
            var gen = new RandomPolicyGenerator(d.Seed());
            var set = gen.PolicySet();
            var requests = Enumerable.Range(0, d.Between(1, 12)).Select(_ => gen.Request()).ToList();
            return new Case(version, set, requests);
        }, SizeOf);

        private static RefDecision Of(PolicyDecision d) => new(d.Verdict.ToString(), d.Status.ToString(), d.Tier, d.Policy, d.Profile, d.RuleIndex);

        [Fact]
        public void Engine_agrees_with_the_reference_evaluator()
        {
            int decisions = 0, ruleDecisions = 0, allowed = 0;
            PropertyRun.Check(_output, "engine-vs-reference", Cases, c =>
            {
                var engine = PolicyEngine.Compile(c.Set, CalicoBehavior.Parse(c.Version));
                var reference = new ReferenceEvaluator(c.Set, c.Version == "latest" ? null : c.Version);
                foreach (var request in c.Requests)
                {
                    var want = reference.Evaluate(request);
                    var traced = engine.Evaluate(request, new List<TraceStep>());
                    Assert.Equal(want, Of(traced));
                    Assert.Equal(want, Of(engine.Evaluate(request)));
                    decisions++;
                    if (traced.Reason == DecisionReason.PolicyRule) ruleDecisions++;
                    if (traced.Verdict == Verdict.Allow) allowed++;
                }
            }, 400, c => c.ToString());
            _output.WriteLine($"engine-vs-reference: {decisions} decisions, {ruleDecisions} by a policy rule, {allowed} allowed");
            // Agreement proves little unless the generated cases reach rule decisions and both verdicts.
            Assert.True(ruleDecisions > decisions / 20, $"only {ruleDecisions} of {decisions} decisions came from a policy rule");
            Assert.True(allowed > decisions / 50 && allowed < decisions - decisions / 50, $"{allowed} of {decisions} allowed");
        }
    }
}
