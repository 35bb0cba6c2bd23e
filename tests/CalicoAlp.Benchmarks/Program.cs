using System;
using System.Diagnostics;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CalicoAlp.Core.Policy.Evaluation;

namespace CalicoAlp.Benchmarks
{
    public static class Program
    {
        /// <summary>
        /// <c>--fixture</c>: fixture statistics, compile time (Stopwatch, 3 runs) and retained heap of the compiled engine.
        /// <c>--cedar-export &lt;dir&gt;</c>: the Cedar comparison's export and our side's decisions/s (<see cref="CedarComparison"/>).
        /// <c>--quick</c>: a short in-process job (3 warm-ups, 5 iterations) so that the whole suite takes a few minutes.
        /// Other arguments go to BenchmarkDotNet (e.g. <c>--filter *FullWalk*</c>).
        /// </summary>
        public static int Main(string[] args)
        {
            if (args.Contains("--fixture")) return FixtureInfo();
            if (args.Contains("--categories")) return Categories();
            if (args.Contains("--cedar-export")) return CedarComparison.Run(args);
            bool quick = args.Contains("--quick");
            var rest = args.Where(a => a != "--quick").ToArray();
            IConfig config = DefaultConfig.Instance
                .AddDiagnoser(MemoryDiagnoser.Default)
                .AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.Max)
                .WithOptions(ConfigOptions.DisableOptimizationsValidator);
            if (quick)
            {
                config = config.AddJob(Job.Default
                    .WithToolchain(InProcessEmitToolchain.Instance)
                    .WithWarmupCount(3)
                    .WithIterationCount(5)
                    .WithLaunchCount(1)
                    .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250))
                    .WithId("Quick"));
            }
            if (!rest.Contains("--filter")) rest = [.. rest, "--filter", "*"];
            var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest, config);
            return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
        }

        /// <summary><c>--categories</c>: Stopwatch time per decision for each kind of request of the mixed stream (a quick
        /// look at where the time goes; BenchmarkDotNet gives the figures that count).</summary>
        private static int Categories()
        {
            var f = Fixtures.Shared;
            var engine = PolicyEngine.Compile(f.Set);
            var prepared = f.MixedStream(PolicyEvaluation.StreamLength).Select(engine.Prepare).ToArray();
            foreach (var p in prepared) engine.Evaluate(p);
            var fullWalk = engine.Prepare(ScaleFixture.FullWalk);
            var groups = prepared.GroupBy(ScaleFixture.KindOf).Concat(new[] { fullWalk }.GroupBy(_ => "FullWalk"));
            // Two rounds: the first lets the JIT reach its optimised tier; the second is printed.
            for (int round = 0; round < 2; round++)
            foreach (var g in groups)
            {
                var list = g.ToArray();
                var sw = Stopwatch.StartNew();
                int reps = 0;
                while (sw.ElapsedMilliseconds < 200)
                {
                    foreach (var p in list) engine.Evaluate(p);
                    reps++;
                }
                var d = engine.Evaluate(list[0]);
                if (round == 1) Console.WriteLine($"{g.Key,-12} {list.Length,5} requests {sw.Elapsed.TotalMilliseconds * 1e6 / (reps * list.Length),8:F0} ns/decision (first: {d.Verdict} by {d.Reason})");
            }
            return 0;
        }

        private static long Settle()
        {
            GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
            return GC.GetTotalMemory(true);
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static PolicyEngine CompileOnce(ScaleFixture f, out double ms, out long allocated)
        {
            long alloc0 = GC.GetAllocatedBytesForCurrentThread();
            var sw = Stopwatch.StartNew();
            var engine = PolicyEngine.Compile(f.Set);
            engine.Prepare(ScaleFixture.FullWalk); // first endpoint: IP-set memberships and tier views
            sw.Stop();
            allocated = GC.GetAllocatedBytesForCurrentThread() - alloc0;
            ms = sw.Elapsed.TotalMilliseconds;
            return engine;
        }

        private static int FixtureInfo()
        {
            var sw = Stopwatch.StartNew();
            var f = new ScaleFixture();
            Console.WriteLine($"Fixture generated in {sw.ElapsedMilliseconds} ms: {ScaleFixture.PolicyCount} policies x {ScaleFixture.RulesPerPolicy} rules = {f.RuleCount} rules; " +
                              $"{f.DenyRuleCount} Deny, 1 Allow (policy {ScaleFixture.AllowPolicy + 1}, rule {ScaleFixture.AllowRule + 1}); " +
                              $"{f.NetsRuleCount} rules reference one of {f.Lists.Count} CIDR lists ({f.CidrCount:N0} CIDRs; sizes " +
                              $"{f.Lists.Min(l => l.Count)}..{f.Lists.Max(l => l.Count):N0}).");
            long before = Settle();
            var engine = CompileOnce(f, out double ms, out long allocated);
            long after = Settle();
            Console.WriteLine($"Compile + first endpoint #1: {ms:F0} ms, allocated {allocated / 1048576.0:F1} MB; retained by the compiled engine " +
                              $"(GC.GetTotalMemory delta, fixture definitions excluded): {(after - before) / 1048576.0:F1} MB; IP sets: {engine.IpSetCount}");
            for (int i = 2; i <= 3; i++)
            {
                CompileOnce(f, out ms, out allocated);
                Console.WriteLine($"Compile + first endpoint #{i}: {ms:F0} ms, allocated {allocated / 1048576.0:F1} MB");
            }
            var stream = f.MixedStream(PolicyEvaluation.StreamLength);
            var counts = stream.Select(r => engine.Evaluate(r)).GroupBy(d => $"{d.Verdict} by {d.Reason}").OrderBy(g => g.Key);
            Console.WriteLine("Mixed stream outcomes: " + string.Join(", ", counts.Select(g => $"{g.Key}: {g.Count()}")));
            GC.KeepAlive(engine);
            return 0;
        }
    }
}
