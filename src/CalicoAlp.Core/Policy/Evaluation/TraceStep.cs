using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>One step of an evaluation trace: what was considered and why it matched or not.</summary>
    public sealed record TraceStep(TraceStepKind Kind, string? Tier, string? Policy, int RuleIndex, string Outcome, string Detail)
    {
        public override string ToString()
        {
            var where = Kind switch
            {
                TraceStepKind.Tier => $"tier {Tier}",
                TraceStepKind.Policy => $"tier {Tier} policy {Policy}",
                TraceStepKind.Rule => $"{(Tier != null ? "tier " + Tier + " " : "")}{(Policy != null ? "policy " + Policy : "")} rule {RuleIndex}",
                TraceStepKind.Profile => $"profile {Policy}",
                _ => "decision",
            };
            return $"{where}: {Outcome}" + (Detail.Length > 0 ? $" ({Detail})" : "");
        }
    }
}
