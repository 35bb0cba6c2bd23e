using CalicoAlp.Core.Policy.Replay;
using System.Collections.Generic;
using System;

namespace CalicoAlp.Core.Results
{
    /// <summary>What an access log replay found: counts, the deciding policies and the sources.</summary>
    public sealed class ReplaySummary
    {
        /// <summary>Number of log files read.</summary>
        public int Files { get; internal set; }
        /// <summary>Non-blank lines read.</summary>
        public long Lines { get; internal set; }
        public long Parsed { get; internal set; }
        /// <summary>Lines that could not be parsed or evaluated (each reported as an error with file:line).</summary>
        public long Errors { get; internal set; }
        public long Allowed { get; internal set; }
        public long Denied { get; internal set; }
        /// <summary>Deciding policy (or "profile &lt;name&gt;", or the reason when neither decided) -> requests.</summary>
        public Dictionary<string, long> ByPolicy { get; } = new(StringComparer.Ordinal);
        /// <summary>Source principal (or IP for plaintext, "-" when unknown) -> allowed/denied counts.</summary>
        public Dictionary<string, ReplayCount> BySource { get; } = new(StringComparer.Ordinal);
        public TimeSpan Elapsed { get; internal set; }
        /// <summary>The files read, in order.</summary>
        public List<string> FileNames { get; } = new();
        /// <summary>Requests decided per policy or profile rule, most hits first.</summary>
        public IReadOnlyList<RuleHit> RuleHits { get; internal set; } = [];
        /// <summary>The Allow/Deny rules of the enforced policies that decided no line (candidates for removal).</summary>
        public IReadOnlyList<RuleHit> UnusedRules { get; internal set; } = [];
        internal Policy.Evaluation.RuleHitCounter RuleCounter { get; } = new();

        public override string ToString() =>
            $"{Lines} lines in {Files} file(s): {Allowed} allowed, {Denied} denied, {Errors} error(s) in {Elapsed.TotalSeconds:0.00} s";
    }
}
