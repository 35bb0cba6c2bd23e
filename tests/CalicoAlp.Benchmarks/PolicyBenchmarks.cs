using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Tests.Policy.Reference;

namespace CalicoAlp.Benchmarks
{
    /// <summary>Decision benchmarks on the compiled scale fixture. Requests are prepared once (identities, endpoints and
    /// IP-set memberships resolved and cached), as a long-running checker would; each operation is one decision.</summary>
    [MemoryDiagnoser]
    public class PolicyEvaluation
    {
        public const int StreamLength = 4096;

        private PolicyEngine _engine = null!;
        private PreparedRequest _fullWalk = null!, _early = null!, _lateAllow = null!;
        private PreparedRequest[] _stream = [];

        [GlobalSetup]
        public void Setup()
        {
            var fixture = Fixtures.Shared;
            _engine = PolicyEngine.Compile(fixture.Set);
            _fullWalk = _engine.Prepare(ScaleFixture.FullWalk);
            _early = _engine.Prepare(ScaleFixture.EarlyMatch);
            _lateAllow = _engine.Prepare(ScaleFixture.LateAllow);
            var stream = fixture.MixedStream(StreamLength);
            _stream = new PreparedRequest[stream.Count];
            for (int i = 0; i < stream.Count; i++) _stream[i] = _engine.Prepare(stream[i]);
            Fixtures.Check(_engine.Evaluate(_fullWalk), Verdict.Deny, DecisionReason.TierDefaultAction, "full walk");
            Fixtures.Check(_engine.Evaluate(_early), Verdict.Deny, DecisionReason.PolicyRule, "early match");
            Fixtures.Check(_engine.Evaluate(_lateAllow), Verdict.Allow, DecisionReason.PolicyRule, "late allow");
        }

        [Benchmark(Description = "FullWalk (21,000 rules -> tier default Deny)")]
        public PolicyDecision FullWalk() => _engine.Evaluate(_fullWalk);

        [Benchmark(Description = "EarlyMatch (Deny at rule 4 of policy 1)")]
        public PolicyDecision EarlyMatch() => _engine.Evaluate(_early);

        [Benchmark(Description = "LateAllow (policy 291, rule 41)")]
        public PolicyDecision LateAllow() => _engine.Evaluate(_lateAllow);

        /// <summary>One operation = one decision of the mixed stream (decisions/s = 1e9 / Mean in ns).</summary>
        [Benchmark(Description = "MixedStream (per decision)", OperationsPerInvoke = StreamLength)]
        public int MixedStream()
        {
            int allowed = 0;
            var engine = _engine;
            foreach (var q in _stream)
            {
                if (engine.Evaluate(q).Verdict == Verdict.Allow) allowed++;
            }
            return allowed;
        }
    }

    /// <summary>
    /// One million generated requests of the mixed stream (seed 11; the same kinds and proportions as
    /// <see cref="PolicyEvaluation.MixedStream"/>), each decided once per operation batch: prepared (identities, endpoints and
    /// memberships resolved once, as a long-running checker caches them) and from the raw request (Prepare + Evaluate).
    /// </summary>
    [MemoryDiagnoser]
    public class PolicyMillionStream
    {
        public const int Count = 1_000_000;

        private PolicyEngine _engine = null!;
        private AlpRequest[] _requests = [];
        private PreparedRequest[] _prepared = [];

        [GlobalSetup]
        public void Setup()
        {
            _engine = PolicyEngine.Compile(Fixtures.Shared.Set);
            _requests = [.. Fixtures.Shared.MixedStream(Count, seed: 11)];
            _prepared = new PreparedRequest[_requests.Length];
            for (int i = 0; i < _requests.Length; i++) _prepared[i] = _engine.Prepare(_requests[i]);
        }

        [Benchmark(Description = "1M-request stream, prepared (per decision)", OperationsPerInvoke = Count)]
        public int Prepared()
        {
            int allowed = 0;
            var engine = _engine;
            foreach (var q in _prepared)
            {
                if (engine.Evaluate(q).Verdict == Verdict.Allow) allowed++;
            }
            return allowed;
        }

        [Benchmark(Description = "1M-request stream, Prepare+Evaluate (per decision)", OperationsPerInvoke = Count)]
        public int PrepareAndEvaluate()
        {
            int allowed = 0;
            var engine = _engine;
            foreach (var r in _requests)
            {
                if (engine.Evaluate(r).Verdict == Verdict.Allow) allowed++;
            }
            return allowed;
        }
    }

    /// <summary>Compiling the fixture (tier, policies, rules, 5,250 CIDR-list references) into an engine.</summary>
    [MemoryDiagnoser]
    public class PolicyCompile
    {
        [GlobalSetup]
        public void Setup() => _ = Fixtures.Shared;

        [Benchmark(Description = "Compile (300 policies, 21,000 rules, ~250k CIDRs)")]
        public PolicyEngine Compile() => PolicyEngine.Compile(Fixtures.Shared.Set);
    }

    /// <summary>The engine against the test oracle (tests/CalicoAlp.Tests/Policy/Reference/ReferenceEvaluator.cs), both from an
    /// unprepared <see cref="AlpRequest"/>; the engine's endpoint and peer caches are warm after the first call.</summary>
    [MemoryDiagnoser]
    public class PolicyReference
    {
        private PolicyEngine _engine = null!;
        private ReferenceEvaluator _reference = null!;
        private AlpRequest _fullWalk = null!;
        private PreparedRequest _fullWalkPrepared = null!;

        [GlobalSetup]
        public void Setup()
        {
            _engine = PolicyEngine.Compile(Fixtures.Shared.Set);
            _reference = new ReferenceEvaluator(Fixtures.Shared.Set, null);
            _fullWalk = ScaleFixture.FullWalk;
            _fullWalkPrepared = _engine.Prepare(_fullWalk);
            var d = _engine.Evaluate(_fullWalk);
            var r = _reference.Evaluate(_fullWalk);
            if (r.Verdict != d.Verdict.ToString() || r.Tier != d.Tier || r.Policy != d.Policy || r.RuleIndex != d.RuleIndex)
                throw new InvalidOperationException($"reference and engine disagree on the full walk: {r} vs {d}");
        }

        [Benchmark(Baseline = true, Description = "Reference evaluator, full walk")]
        public object Reference() => _reference.Evaluate(_fullWalk);

        [Benchmark(Description = "Engine Prepare+Evaluate, full walk")]
        public PolicyDecision Engine() => _engine.Evaluate(_fullWalk);

        [Benchmark(Description = "Engine Evaluate (prepared), full walk")]
        public PolicyDecision EnginePrepared() => _engine.Evaluate(_fullWalkPrepared);
    }

    internal static class Fixtures
    {
        private static ScaleFixture? _shared;
        public static ScaleFixture Shared => _shared ??= new ScaleFixture();

        public static void Check(PolicyDecision d, Verdict v, DecisionReason reason, string what)
        {
            if (d.Verdict != v || d.Reason != reason) throw new InvalidOperationException($"{what}: expected {v} by {reason}, got {d}");
        }
    }
}
