using CalicoAlp.Core.Policy.Comparison;
using CalicoAlp.Core.Policy.Evaluation;
using System.Collections.Generic;
using System;
namespace CalicoAlp.Core.Results
{
    /// <summary>What a comparison of two policy sets over the same requests found.</summary>
    public sealed class ComparisonSummary
    {
        /// <summary>Log files read (0 for piped requests).</summary>
        public int Files { get; internal set; }
        /// <summary>Non-blank log lines read, or requests received.</summary>
        public long Lines { get; internal set; }
        /// <summary>Requests evaluated by both sets.</summary>
        public long Compared { get; internal set; }
        public long Unchanged { get; internal set; }
        public long NewlyDenied { get; internal set; }
        public long NewlyAllowed { get; internal set; }
        /// <summary>Same verdict, decided by another rule (or policy, tier, reason).</summary>
        public long OtherRule { get; internal set; }
        /// <summary>Lines or requests that could not be parsed or evaluated (each reported as an error with file:line).</summary>
        public long Errors { get; internal set; }
        /// <summary>The reference and difference sets hold the same objects: no decision can change.</summary>
        public bool IdenticalSets { get; internal set; }
        /// <summary>Staged policies of the difference set evaluated as enforced (-PromoteStaged).</summary>
        public int PromotedStaged { get; internal set; }
        /// <summary>Where the reference set was read from: "files" or "cluster '&lt;context&gt;'".</summary>
        public string ReferenceSource { get; internal set; } = "files";
        public string CalicoVersion { get; internal set; } = "";
        /// <summary>Deciding policy of the difference set (or "profile &lt;name&gt;", or the reason) -> changes it makes.</summary>
        public Dictionary<string, ComparisonCount> ByPolicy { get; } = new(StringComparer.Ordinal);
        /// <summary>Source principal (or IP for plaintext, "-" when unknown) -> its changed decisions.</summary>
        public Dictionary<string, ComparisonCount> BySource { get; } = new(StringComparer.Ordinal);
        /// <summary>Requests decided per rule of the difference set, most hits first.</summary>
        public IReadOnlyList<RuleHit> RuleHits { get; internal set; } = [];
        /// <summary>Requests decided per rule of the reference set, most hits first.</summary>
        public IReadOnlyList<RuleHit> ReferenceRuleHits { get; internal set; } = [];
        /// <summary>Allow/Deny rules of the difference set's enforced policies that decided no request (candidates for removal).</summary>
        public IReadOnlyList<RuleHit> UnusedRules { get; internal set; } = [];
        public TimeSpan Elapsed { get; internal set; }
        /// <summary>The log files read, in order.</summary>
        public List<string> FileNames { get; } = new();

        public bool Changed => NewlyDenied + NewlyAllowed > 0;

        public override string ToString() =>
            $"{Lines} lines: {NewlyDenied} newly denied, {NewlyAllowed} newly allowed, {OtherRule} other rule, {Unchanged} unchanged, {Errors} error(s)" +
            (IdenticalSets ? " (identical policy sets)" : "");
    }
}
