using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>A policy as compiled by <see cref="PolicyCompiler"/>: read-only once built (the rule index keeps its own positions).</summary>
    internal sealed class CompiledPolicy
    {
        public required PolicyDef Def { get; init; }
        /// <summary>Position of the policy in evaluation order over all tiers (0-based), the key of per-policy tables.</summary>
        public required int Id { get; init; }
        public required string DisplayName { get; init; }
        public required Selector AppliesTo { get; init; }
        public CompiledRule[] Ingress { get; init; } = [];
        public CompiledRule[] Egress { get; init; } = [];
        public RuleFilter[] IngressFilters { get; init; } = [];
        public RuleFilter[] EgressFilters { get; init; } = [];
        public bool IngressType { get; init; }
        public bool EgressType { get; init; }
        public bool Staged { get; init; }
    }
}
