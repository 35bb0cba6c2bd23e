using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Model;
namespace CalicoAlp.Core.Results
{
    /// <summary>
    /// One policy or profile rule and how many requests it decided. <see cref="Hits"/> counts decisions taken by the
    /// rule (its Allow or Deny, or the INVALID_ARGUMENT of its http match); a Pass or Log rule never decides, so it is
    /// not counted.
    /// </summary>
    public sealed record RuleHit(string? Tier, string? Policy, string? Profile, TrafficDirection Direction, int RuleIndex, RuleAction? Action, long Hits)
    {
        /// <summary>"policy web/api ingress[0]" or "profile kns.web ingress[1]".</summary>
        public string Rule => (Policy != null ? "policy " + Policy : "profile " + Profile) + " " +
                              (Direction == TrafficDirection.Ingress ? "ingress" : "egress") + "[" + RuleIndex.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]";

        public override string ToString() => $"{Rule} {Action}: {Hits}";
    }
}
