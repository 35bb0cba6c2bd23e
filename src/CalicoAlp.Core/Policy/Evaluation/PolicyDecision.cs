using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>The result of one evaluation. A struct referencing compiled names only: producing it allocates nothing.</summary>
    public readonly struct PolicyDecision
    {
        internal PolicyDecision(Verdict verdict, CheckStatus status, DecisionReason reason, string? tier, string? policy, string? profile,
            int ruleIndex, RuleAction? action)
        {
            Verdict = verdict;
            Status = status;
            Reason = reason;
            Tier = tier;
            Policy = policy;
            Profile = profile;
            RuleIndex = ruleIndex;
            Action = action;
        }

        public Verdict Verdict { get; }
        public CheckStatus Status { get; }
        public DecisionReason Reason { get; }
        /// <summary>Deciding tier (null when a profile or no tier decided).</summary>
        public string? Tier { get; }
        /// <summary>Deciding policy (<c>namespace/name</c> for namespaced ones).</summary>
        public string? Policy { get; }
        public string? Profile { get; }
        /// <summary>0-based index of the deciding rule in its list, or -1.</summary>
        public int RuleIndex { get; }
        /// <summary>The deciding action (rule action, or the tier's default action).</summary>
        public RuleAction? Action { get; }

        public override string ToString() =>
            $"{Verdict} ({Status}) by {Reason}" + (Tier != null ? $" tier={Tier}" : "") + (Policy != null ? $" policy={Policy}" : "") +
            (Profile != null ? $" profile={Profile}" : "") + (RuleIndex >= 0 ? $" rule={RuleIndex}" : "");
    }
}
