using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Kube;
using CalicoAlp.Testing.Faults;
using CalicoAlp.Tests.Infrastructure;

namespace CalicoAlp.Tests.Reliability
{
    /// <summary>
    /// The fault campaign: each mutating cmdlet runs many times through the fault proxy in front of the real API server,
    /// each run with a random mix (from the seed) of 429/500/503/504 answers, latency, dropped connections, an outage
    /// (the proxy drops every request for 0.3-5 s, as a stopped and restarted API server looks to a client), a concurrent
    /// writer labelling the object the cmdlet is about to write, and Ctrl+C (PowerShell's Stop) at a random moment.
    /// After every run, read straight from the API server: every object whole; the writer's label kept; after success
    /// the intended state; after an error, a clear one (AlpException), and a fault-free re-run converges.
    /// </summary>
    public sealed class FaultCampaign
    {
        public const string WriterLabel = "campaign.calicoalp.io/writer";
        private static readonly int[] Codes = { 429, 500, 503, 504 };
        private static readonly string?[] Methods = { null, "GET", "PATCH", "PUT", "POST", "DELETE" };

        private readonly FaultProxy _proxy;
        private readonly string _proxyKubeconfig;
        private readonly KubeApi _api;
        private readonly CmdletHost _host;
        private readonly int _seed;
        private readonly Action<string> _progress;

        public FaultCampaign(FaultProxy proxy, string proxyKubeconfig, KubeApi direct, CmdletHost host, int seed, Action<string> progress)
        {
            _proxy = proxy;
            _proxyKubeconfig = proxyKubeconfig;
            _api = direct;
            _host = host;
            _seed = seed;
            _progress = progress;
        }

        /// <summary>Runs <paramref name="runsPerCmdlet"/> runs of each scenario's on and off cmdlet, in a seeded random order.</summary>
        public async Task<CampaignReport> RunAsync(IReadOnlyList<CampaignScenario> scenarios, int runsPerCmdlet, CancellationToken ct)
        {
            var report = new CampaignReport { Seed = _seed, RunsPerCmdlet = runsPerCmdlet };
            var sw = System.Diagnostics.Stopwatch.StartNew();
            for (var s = 0; s < scenarios.Count; s++)
            {
                var scenario = scenarios[s];
                await scenario.PrepareAsync(_host, _api, ct);
                var order = Enumerable.Repeat(true, runsPerCmdlet).Concat(Enumerable.Repeat(false, runsPerCmdlet)).ToArray();
                new Random(_seed * 31 + s).Shuffle(order);
                for (var k = 0; k < order.Length; k++)
                {
                    await RunOnceAsync(scenario, order[k], new Random(unchecked(_seed * 7919 + s * 100_003 + k)), report, ct);
                    if ((report.Runs % 25) == 0) _progress($"{report.Runs} runs, {report.FaultsInjected} faults, {report.Violations.Count} violations, {sw.Elapsed.TotalSeconds:0} s");
                }
            }
            report.Elapsed = sw.Elapsed;
            return report;
        }

        /// <summary>
        /// Ctrl+C at chosen points of each cmdlet's run: from the opposite state, a clean run counts its requests (n);
        /// then, for <paramref name="points"/> request numbers spread over 1..n (0: every one), the opposite state is
        /// restored and the cmdlet is stopped just as that request reaches the proxy. Every object must be whole and
        /// a re-run must converge.
        /// </summary>
        public async Task CancelAtPointsAsync(IReadOnlyList<CampaignScenario> scenarios, int points, CampaignReport report, CancellationToken ct)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            _proxy.ClearFaults();
            foreach (var scenario in scenarios)
            {
                foreach (var on in new[] { true, false })
                {
                    var cmdlet = on ? scenario.OnCmdlet : scenario.OffCmdlet;
                    var opposite = on ? scenario.OffCmdlet : scenario.OnCmdlet;
                    _host.Invoke(opposite, scenario.Parameters(!on, _proxyKubeconfig)).AssertSuccess();
                    _proxy.ClearRequests();
                    _host.Invoke(cmdlet, scenario.Parameters(on, _proxyKubeconfig)).AssertSuccess();
                    var n = _proxy.Requests.Count;
                    var at = points <= 0 || points >= n
                        ? Enumerable.Range(1, n).ToList()
                        : Enumerable.Range(0, points).Select(i => 1 + (int)Math.Round(i * (n - 1) / (double)Math.Max(1, points - 1))).Distinct().ToList();
                    foreach (var k in at)
                    {
                        _host.Invoke(opposite, scenario.Parameters(!on, _proxyKubeconfig)).AssertSuccess();
                        var label = $"{cmdlet} stopped at request {k}/{n}";
                        var seen = 0;
                        PowerShell? running = null;
                        _proxy.AddFault(FaultRule.Any().Before(() =>
                        {
                            if (Interlocked.Increment(ref seen) == k) Volatile.Read(ref running)?.BeginStop(null, null);
                            return Task.CompletedTask;
                        }).Named("Ctrl+C at a request"));
                        using (var ps = _host.Create())
                        {
                            ps.AddCommand(cmdlet);
                            foreach (System.Collections.DictionaryEntry p in scenario.Parameters(on, _proxyKubeconfig))
                            {
                                if (p.Value is true) ps.AddParameter((string)p.Key);
                                else ps.AddParameter((string)p.Key, p.Value);
                            }
                            Volatile.Write(ref running, ps);
                            RunOutcome outcome;
                            string? error = null;
                            try
                            {
                                ps.Invoke();
                                outcome = ps.InvocationStateInfo.State == PSInvocationState.Stopped ? RunOutcome.Cancelled : RunOutcome.Succeeded;
                            }
                            catch (PipelineStoppedException)
                            {
                                outcome = RunOutcome.Cancelled;
                            }
                            catch (RuntimeException ex)
                            {
                                outcome = Classify(ex.ErrorRecord, out error);
                            }
                            _proxy.ClearFaults();
                            report.Count(cmdlet, outcome);
                            report.CancelPointRuns++;
                            if (outcome == RunOutcome.Cancelled) report.AddFault("Ctrl+C at a request", 1);
                            if (outcome == RunOutcome.UnclearError) report.Violation($"{label}: unclear error {error}");
                            if (outcome == RunOutcome.ClearError) report.Violation($"{label}: an error instead of stopping: {error}");
                        }
                        foreach (var p in await scenario.WholeAsync(_api, ct)) report.Violation($"{label}: {p}");
                        var again = _host.Invoke(cmdlet, scenario.Parameters(on, _proxyKubeconfig));
                        report.ReRuns++;
                        if (again.Terminating != null || again.Errors.Count > 0)
                        {
                            report.Violation($"{label}: the re-run failed: {again.Terminating?.Exception.Message ?? again.Errors[0].Exception.Message}");
                            continue;
                        }
                        var left = (await scenario.IntendedAsync(_api, on, ct)).ToList();
                        foreach (var p in left) report.Violation($"{label}: the re-run did not converge: {p}");
                        if (left.Count == 0) report.ReRunsConverged++;
                    }
                }
            }
            report.Elapsed += sw.Elapsed;
        }

        private async Task RunOnceAsync(CampaignScenario scenario, bool on, Random rnd, CampaignReport report, CancellationToken ct)
        {
            var cmdlet = on ? scenario.OnCmdlet : scenario.OffCmdlet;
            var run = report.Runs + 1;
            var label = $"run {run} {cmdlet}";
            _proxy.ClearFaults();

            // The faults of this run.
            var kinds = new List<string>();
            if (rnd.NextDouble() < 0.45)
            {
                var code = Codes[rnd.Next(Codes.Length)];
                _proxy.AddFault(FaultRule.For(Methods[rnd.Next(Methods.Length)]).WithProbability(0.35, rnd.Next()).Times(rnd.Next(1, 4))
                    .Respond(code, retryAfterSeconds: code == 429 && rnd.Next(2) == 0 ? 1 : null).Named($"status {code}"));
            }
            if (rnd.NextDouble() < 0.35)
            {
                _proxy.AddFault(FaultRule.Any().WithProbability(0.3, rnd.Next()).Times(rnd.Next(1, 8)).Delay(TimeSpan.FromMilliseconds(rnd.Next(20, 400))).Named("latency"));
            }
            if (rnd.NextDouble() < 0.3)
            {
                _proxy.AddFault(FaultRule.For(Methods[rnd.Next(Methods.Length)]).WithProbability(0.3, rnd.Next()).Times(rnd.Next(1, 3)).Drop().Named("dropped connection"));
            }
            string? writerValue = null;
            var writerDone = 0;
            if (rnd.NextDouble() < 0.3)
            {
                var (type, ns, name, path) = scenario.WriterTarget;
                var value = $"r{run}";
                _proxy.AddFault(FaultRule.For(null, path).Before(async ctx =>
                {
                    if (ctx.Method == "GET" || ctx.Query.Contains("dryRun", StringComparison.Ordinal) || Interlocked.Exchange(ref writerDone, 1) == 1) return;
                    var patch = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { [WriterLabel] = value } } };
                    await _api.MergePatchAsync(type, ns, name, patch, false, CancellationToken.None);
                    writerValue = value;
                }).Named("concurrent writer"));
            }
            var outage = rnd.NextDouble() < 0.12 ? (Start: rnd.Next(0, 400), Length: rnd.Next(300, 5000)) : ((int Start, int Length)?)null;
            var cancelAfter = rnd.NextDouble() < 0.15 ? rnd.Next(0, 1500) : (int?)null;

            // The run.
            using var outageCts = new CancellationTokenSource();
            FaultHandle? outageRule = null;
            Task outageTask = Task.CompletedTask;
            if (outage is { } o)
            {
                outageTask = Task.Run(async () =>
                {
                    try
                    {
                        await Task.Delay(o.Start, outageCts.Token);
                        outageRule = _proxy.AddFault(FaultRule.Any().Drop().Named("outage"));
                        await Task.Delay(o.Length, outageCts.Token);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                    finally
                    {
                        if (outageRule != null) _proxy.RemoveFault(outageRule);
                    }
                });
            }
            var outcome = Invoke(cmdlet, scenario.Parameters(on, _proxyKubeconfig), cancelAfter, out var error);
            outageCts.Cancel();
            await outageTask;
            foreach (var f in _proxy.Faults.Concat(outageRule == null ? Array.Empty<FaultHandle>() : new[] { outageRule }).Distinct())
            {
                if (f.Name == "concurrent writer") continue;
                if (f.Applied > 0) report.AddFault(f.Name, f.Applied);
                if (f.Name == "outage" && f.Applied > 0) report.AddFault("outage window", 1);
            }
            _proxy.ClearFaults();
            if (writerValue != null) report.AddFault("concurrent writer", 1);
            if (outcome == RunOutcome.Cancelled) report.AddFault("Ctrl+C", 1);
            report.Count(cmdlet, outcome);

            // The invariants.
            foreach (var p in await scenario.WholeAsync(_api, ct)) report.Violation($"{label}: {p}");
            await CheckWriterAsync(scenario, writerValue, label, report, ct);
            if (outcome == RunOutcome.Succeeded)
            {
                foreach (var p in await scenario.IntendedAsync(_api, on, ct)) report.Violation($"{label} succeeded but: {p}");
                return;
            }
            if (outcome == RunOutcome.UnclearError) report.Violation($"{label}: unclear error {error}");
            if (outcome == RunOutcome.ClearError) report.ClearErrors[error!.Split(':')[0]] = report.ClearErrors.GetValueOrDefault(error.Split(':')[0]) + 1;
            if (outcome == RunOutcome.Hung) report.Violation($"{label}: did not finish within 2 minutes");
            var again = _host.Invoke(cmdlet, scenario.Parameters(on, _proxyKubeconfig));
            report.ReRuns++;
            if (again.Terminating != null || again.Errors.Count > 0)
            {
                report.Violation($"{label}: the re-run failed too: {again.Terminating?.Exception.Message ?? again.Errors[0].Exception.Message}");
                return;
            }
            var left = (await scenario.IntendedAsync(_api, on, ct)).ToList();
            foreach (var p in left) report.Violation($"{label}: the re-run did not converge: {p}");
            foreach (var p in await scenario.WholeAsync(_api, ct)) report.Violation($"{label} after the re-run: {p}");
            await CheckWriterAsync(scenario, writerValue, label + " after the re-run", report, ct);
            if (left.Count == 0) report.ReRunsConverged++;
        }

        private async Task CheckWriterAsync(CampaignScenario scenario, string? writerValue, string label, CampaignReport report, CancellationToken ct)
        {
            if (writerValue == null) return;
            var (type, ns, name, _) = scenario.WriterTarget;
            var obj = await _api.GetAsync(type, ns, name, ct);
            var actual = obj?["metadata"]?["labels"]?[WriterLabel]?.GetValue<string>();
            if (actual != writerValue) report.Violation($"{label}: the concurrent writer's label is '{actual}', not '{writerValue}' (overwritten)");
        }

        private RunOutcome Invoke(string cmdlet, System.Collections.Hashtable parameters, int? cancelAfterMs, out string? error)
        {
            error = null;
            using var ps = _host.Create();
            ps.AddCommand(cmdlet);
            foreach (System.Collections.DictionaryEntry p in parameters)
            {
                if (p.Value is true) ps.AddParameter((string)p.Key);
                else ps.AddParameter((string)p.Key, p.Value);
            }
            var handle = ps.BeginInvoke();
            var stopped = false;
            if (cancelAfterMs is int ms && !handle.AsyncWaitHandle.WaitOne(ms))
            {
                ps.Stop();
                stopped = true;
            }
            if (!handle.AsyncWaitHandle.WaitOne(TimeSpan.FromMinutes(2)))
            {
                ps.Stop();
                return RunOutcome.Hung;
            }
            try
            {
                ps.EndInvoke(handle);
            }
            catch (PipelineStoppedException)
            {
                return RunOutcome.Cancelled;
            }
            catch (RuntimeException ex)
            {
                return Classify(ex.ErrorRecord, out error);
            }
            if (stopped && ps.InvocationStateInfo.State == PSInvocationState.Stopped) return RunOutcome.Cancelled;
            if (ps.Streams.Error.Count > 0) return Classify(ps.Streams.Error[0], out error);
            return RunOutcome.Succeeded;
        }

        /// <summary>Clear: the cmdlet's own AlpException (an ErrorId, a kind, a message that says what to do).</summary>
        private static RunOutcome Classify(ErrorRecord record, out string error)
        {
            error = $"{record.FullyQualifiedErrorId}: {record.Exception.GetType().Name}: {record.Exception.Message}";
            return record.Exception is AlpException { ErrorId.Length: > 0, Message.Length: > 0 } ? RunOutcome.ClearError : RunOutcome.UnclearError;
        }
    }

    public enum RunOutcome
    {
        Succeeded,
        ClearError,
        UnclearError,
        Cancelled,
        Hung,
    }
}
