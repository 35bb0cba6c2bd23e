using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using CalicoAlp.Core.Policy.Evaluation;

namespace CalicoAlp.Benchmarks
{
    /// <summary>
    /// <c>--cedar-export &lt;dir&gt; [--runs N] [--seconds S] [--requests N]</c>: builds the HTTP part of the scale fixture (<see cref="HttpFixture"/>), its
    /// Cedar translation (<see cref="CedarTranslation"/>) and a seeded request stream; decides every request with our engine,
    /// checks the translation's Cedar meaning gives the same decision (and the deciding rule among the satisfied policies),
    /// writes policies, requests and expected decisions for tools/cedar-bench, and measures our engine's decisions/s on one
    /// thread: prepared (<c>Evaluate(PreparedRequest)</c>) and Prepare+Evaluate per request.
    /// </summary>
    public static class CedarComparison
    {
        /// <summary>Requests in the stream (<c>--requests</c>): Cedar takes tens of milliseconds per decision on this policy set and
        /// every request is checked on both sides, so the default is 2,048 rather than the 4,096 of the mixed-stream benchmark.</summary>
        public const int StreamLength = 2048;

        public sealed record Stats(double Median, double Min, double Max, int Runs, long Decisions)
        {
            public override string ToString() =>
                $"median {Median.ToString("N0", CultureInfo.InvariantCulture)} decisions/s (min {Min.ToString("N0", CultureInfo.InvariantCulture)}, " +
                $"max {Max.ToString("N0", CultureInfo.InvariantCulture)}; {Runs} runs, {Decisions.ToString("N0", CultureInfo.InvariantCulture)} decisions)";
        }

        public static int Run(string[] args)
        {
            string dir = Arg(args, "--cedar-export") ?? throw new ArgumentException("--cedar-export needs a directory.");
            int runs = int.Parse(Arg(args, "--runs") ?? "7", CultureInfo.InvariantCulture);
            double seconds = double.Parse(Arg(args, "--seconds") ?? "1", CultureInfo.InvariantCulture);
            int count = int.Parse(Arg(args, "--requests") ?? StreamLength.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            Directory.CreateDirectory(dir);

            var sw = Stopwatch.StartNew();
            var full = new ScaleFixture();
            var http = new HttpFixture(full.Set);
            var translation = CedarTranslation.Translate(http.Set, http.OriginalIndex);
            var cases = http.Stream(count);
            var engine = PolicyEngine.Compile(http.Set);
            var requests = cases.Select(c => c.ToAlpRequest()).ToArray();
            Console.WriteLine($"HTTP part of the scale fixture: {http.Set.Policies.Count} policies, {http.RuleCount} rules kept of " +
                              $"{full.RuleCount} ({http.DenyRules} Deny on service accounts, {http.ServiceAccountRules} Allow on service accounts, " +
                              $"{http.HttpRules} Allow on methods + paths, {http.MixedRules} Allow on service account + method; " +
                              $"{http.StrippedPortRules} had ports/protocol admitting 8080/TCP removed; {http.DroppedRules} dropped: selector, nets or ports only).");
            Console.WriteLine($"Cedar translation: {translation.Count(p => !p.Forbid)} permit + {translation.Count(p => p.Forbid)} forbid policies " +
                              $"(unless entries per forbid: {string.Join(", ", translation.Where(p => p.Forbid).Select(p => p.Unless.Count))}); " +
                              $"built in {sw.ElapsedMilliseconds} ms.");

            // Expected decisions: our engine, checked against the translation's Cedar semantics.
            var expected = new List<(string Decision, string? Rule, string Outcome)>(requests.Length);
            int mismatches = 0;
            var satisfied = new List<string>();
            for (int i = 0; i < requests.Length; i++)
            {
                var c = cases[i];
                var d = engine.Evaluate(requests[i]);
                if (d.Reason != DecisionReason.PolicyRule && d.Reason != DecisionReason.TierDefaultAction)
                    throw new InvalidOperationException($"request {i} ({c}): unexpected decision {d}");
                string? rule = d.Reason == DecisionReason.PolicyRule ? $"{d.Policy}/ingress/{d.RuleIndex}" : null;
                string outcome = d.Reason == DecisionReason.PolicyRule ? $"{d.Verdict} by a rule" : "Deny by the tier default";
                var resource = HttpPath.Normalize(c.Path) ?? throw new InvalidOperationException($"request {i}: path {c.Path} is not usable");
                satisfied.Clear();
                bool cedarAllow = CedarTranslation.Decide(translation, c.ServiceAccount, c.Method, resource, satisfied);
                bool ok = cedarAllow == (d.Verdict == Verdict.Allow) && (rule == null ? satisfied.Count == 0 : satisfied.Contains(rule));
                if (!ok && mismatches++ < 10)
                    Console.Error.WriteLine($"MISMATCH request {i} {c}: engine {d}; translation {(cedarAllow ? "allow" : "deny")} by [{string.Join(", ", satisfied)}]");
                expected.Add((d.Verdict == Verdict.Allow ? "allow" : "deny", rule, outcome));
            }
            if (mismatches > 0)
            {
                Console.Error.WriteLine($"The Cedar translation disagrees with the engine on {mismatches} of {requests.Length} requests.");
                return 1;
            }
            var outcomes = expected.GroupBy(e => e.Outcome).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}: {g.Count()}");
            var kinds = cases.Zip(expected).GroupBy(x => x.First.Kind).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => $"{g.Key} {g.Count()} ({g.Count(x => x.Second.Decision == "allow")} allowed)");
            Console.WriteLine($"Stream: {requests.Length} requests; {string.Join(", ", outcomes)}. Kinds: {string.Join(", ", kinds)}.");
            Console.WriteLine("Translation semantics check: the translated policies decide all requests as the engine does " +
                              "(and the engine's deciding rule is among the satisfied policies).");

            Export(dir, translation, cases, expected, http, full);

            // Our engine, one thread, same stream.
            int expectedAllowed = expected.Count(e => e.Decision == "allow");
            var prepared = requests.Select(engine.Prepare).ToArray();
            int PassPrepared()
            {
                int allowed = 0;
                foreach (var q in prepared)
                {
                    if (engine.Evaluate(q).Verdict == Verdict.Allow) allowed++;
                }
                return allowed;
            }
            int PassPrepareEvaluate()
            {
                int allowed = 0;
                foreach (var r in requests)
                {
                    if (engine.Evaluate(engine.Prepare(r)).Verdict == Verdict.Allow) allowed++;
                }
                return allowed;
            }
            // The full fixture and the export's garbage go before timing; the two variants' runs alternate, so that the
            // machine's noise (shared cores) falls on both alike.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var stats = Measure([PassPrepared, PassPrepareEvaluate], expectedAllowed, requests.Length, runs, seconds);
            var preparedStats = stats[0];
            var fullStats = stats[1];
            Console.WriteLine($"CalicoAlp engine, prepared Evaluate:          {preparedStats}");
            Console.WriteLine($"CalicoAlp engine, Prepare+Evaluate/request:   {fullStats}");

            var result = new
            {
                runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
                processors = Environment.ProcessorCount,
                requests = requests.Length,
                runs,
                secondsPerRun = seconds,
                prepared = preparedStats,
                prepareEvaluate = fullStats,
            };
            File.WriteAllText(Path.Combine(dir, "calicoalp-result.json"), JsonSerializer.Serialize(result, Json));
            Console.WriteLine($"Exported to {Path.GetFullPath(dir)}");
            return 0;
        }

        private static readonly JsonSerializerOptions Json = new()
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };

        private static string? Arg(string[] args, string name)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        /// <summary>Warm-up (one second of passes of each variant), then <paramref name="runs"/> rounds; in each round every
        /// variant runs whole passes over the stream for at least <paramref name="seconds"/>. Every pass's allowed count is checked.</summary>
        private static Stats[] Measure(Func<int>[] passes, int expectedAllowed, int perPass, int runs, double seconds)
        {
            void Check(int allowed)
            {
                if (allowed != expectedAllowed) throw new InvalidOperationException($"a pass allowed {allowed}, expected {expectedAllowed}");
            }
            foreach (var pass in passes)
            {
                var warm = Stopwatch.StartNew();
                while (warm.Elapsed.TotalSeconds < 1) Check(pass());
            }
            var rates = passes.Select(_ => new List<double>(runs)).ToArray();
            var totals = new long[passes.Length];
            for (int r = 0; r < runs; r++)
            {
                for (int v = 0; v < passes.Length; v++)
                {
                    long decisions = 0;
                    var sw = Stopwatch.StartNew();
                    do
                    {
                        Check(passes[v]());
                        decisions += perPass;
                    } while (sw.Elapsed.TotalSeconds < seconds);
                    sw.Stop();
                    rates[v].Add(decisions / sw.Elapsed.TotalSeconds);
                    totals[v] += decisions;
                }
            }
            return rates.Select((l, v) =>
            {
                l.Sort();
                double median = l.Count % 2 == 1 ? l[l.Count / 2] : (l[l.Count / 2 - 1] + l[l.Count / 2]) / 2;
                return new Stats(median, l[0], l[^1], runs, totals[v]);
            }).ToArray();
        }

        private static void Export(string dir, IReadOnlyList<CedarPolicy> translation, List<HttpRequestCase> cases,
            List<(string Decision, string? Rule, string Outcome)> expected, HttpFixture http, ScaleFixture full)
        {
            // policies.cedar: annotated, for reading. policies.json: [{id, text}] in order without annotations (they cost
            // Cedar time on every call and decide nothing; the bench joins the texts, Cedar names them policy0, policy1, ...).
            var texts = new List<object>(translation.Count);
            var all = new StringBuilder();
            all.Append("// Generated by CalicoAlp.Benchmarks --cedar-export from the scale fixture (seed 13265): the HTTP part, in policy order.\n");
            all.Append("// principal: ServiceAccount::\"ns/name\" {name, namespace} in Namespace::\"ns\"; action: Action::\"<METHOD>\";\n");
            all.Append("// resource: Path::\"<normalised path>\" in each of its segment prefixes (Path::\"/\", Path::\"/a\", ...).\n\n");
            foreach (var p in translation)
            {
                texts.Add(new { id = p.Id, text = CedarTranslation.ToText(p, annotate: false) });
                all.Append(CedarTranslation.ToText(p)).Append('\n');
            }
            File.WriteAllText(Path.Combine(dir, "policies.cedar"), all.ToString());
            File.WriteAllText(Path.Combine(dir, "policies.json"), JsonSerializer.Serialize(texts, Json));

            var reqs = cases.Select((c, i) =>
            {
                var resource = HttpPath.Normalize(c.Path)!;
                return new
                {
                    kind = c.Kind,
                    @namespace = c.Namespace,
                    serviceAccount = c.ServiceAccount,
                    method = c.Method,
                    path = c.Path,
                    resource,
                    ancestors = CedarTranslation.PathAncestors(resource),
                    expect = expected[i].Decision,
                    rule = expected[i].Rule,
                };
            });
            File.WriteAllText(Path.Combine(dir, "requests.json"), JsonSerializer.Serialize(reqs, Json));

            var summary = new
            {
                fixtureSeed = 13265,
                fixtureRules = full.RuleCount,
                policies = http.Set.Policies.Count,
                rules = http.RuleCount,
                denyRules = http.DenyRules,
                serviceAccountRules = http.ServiceAccountRules,
                httpRules = http.HttpRules,
                serviceAccountAndMethodRules = http.MixedRules,
                cedarPermits = translation.Count(p => !p.Forbid),
                cedarForbids = translation.Count(p => p.Forbid),
                requests = cases.Count,
                outcomes = expected.GroupBy(e => e.Outcome).ToDictionary(g => g.Key, g => g.Count()),
            };
            File.WriteAllText(Path.Combine(dir, "summary.json"), JsonSerializer.Serialize(summary, Json));
        }
    }
}
