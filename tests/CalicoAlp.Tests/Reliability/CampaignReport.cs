using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace CalicoAlp.Tests.Reliability
{
    /// <summary>What a fault campaign did: runs and outcomes per cmdlet, faults injected by kind, invariant violations.</summary>
    public sealed class CampaignReport
    {
        public int Seed { get; init; }
        public int RunsPerCmdlet { get; init; }
        public int Runs { get; private set; }
        public int CancelPointRuns { get; set; }
        public int ReRuns { get; set; }
        public int ReRunsConverged { get; set; }
        public TimeSpan Elapsed { get; set; }
        public SortedDictionary<string, SortedDictionary<string, int>> Outcomes { get; } = new(StringComparer.Ordinal);
        public SortedDictionary<string, int> Faults { get; } = new(StringComparer.Ordinal);
        /// <summary>Clear errors (a run that failed with the module's AlpException) by ErrorId.</summary>
        public SortedDictionary<string, int> ClearErrors { get; } = new(StringComparer.Ordinal);
        public List<string> Violations { get; } = new();

        /// <summary>Faults that reached a request or the cmdlet (the outage window counted by the requests it dropped).</summary>
        public int FaultsInjected => Faults.Where(kv => kv.Key != "outage window").Sum(kv => kv.Value);

        public void Count(string cmdlet, RunOutcome outcome)
        {
            Runs++;
            if (!Outcomes.TryGetValue(cmdlet, out var byOutcome)) Outcomes[cmdlet] = byOutcome = new(StringComparer.Ordinal);
            byOutcome[outcome.ToString()] = byOutcome.GetValueOrDefault(outcome.ToString()) + 1;
        }

        public void AddFault(string kind, int n) => Faults[kind] = Faults.GetValueOrDefault(kind) + n;

        public void Violation(string text)
        {
            lock (Violations) Violations.Add(text);
        }

        public string ToJson() => JsonSerializer.Serialize(new
        {
            Seed, RunsPerCmdlet, Runs, CancelPointRuns, ReRuns, ReRunsConverged, ElapsedSeconds = Math.Round(Elapsed.TotalSeconds, 1),
            FaultsInjected, Faults, Outcomes, ClearErrors, ViolationCount = Violations.Count, Violations,
        }, new JsonSerializerOptions { WriteIndented = true });

        public override string ToString()
        {
            var sb = new StringBuilder();
            sb.AppendLine($"Fault campaign, seed {Seed}: {Runs} runs in {Elapsed.TotalSeconds:0} s: {Runs - CancelPointRuns} with random faults ({RunsPerCmdlet} per cmdlet), " +
                          $"{CancelPointRuns} stopped (Ctrl+C) at a chosen request; {ReRuns} re-runs after an error or Ctrl+C, {ReRunsConverged} converged.");
            foreach (var (cmdlet, byOutcome) in Outcomes)
            {
                sb.AppendLine($"  {cmdlet,-30} {string.Join(", ", byOutcome.Select(kv => $"{kv.Key} {kv.Value}"))}");
            }
            if (ClearErrors.Count > 0) sb.AppendLine($"Clear errors: {string.Join(", ", ClearErrors.Select(kv => $"{kv.Key} {kv.Value}"))}");
            sb.AppendLine($"Faults injected: {FaultsInjected}");
            foreach (var (kind, n) in Faults) sb.AppendLine($"  {kind,-30} {n}");
            sb.AppendLine($"Invariant violations: {Violations.Count}");
            foreach (var v in Violations) sb.AppendLine("  " + v);
            return sb.ToString();
        }
    }
}
