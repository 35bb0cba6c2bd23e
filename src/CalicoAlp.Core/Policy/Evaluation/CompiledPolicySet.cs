using System.Collections.Frozen;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>
    /// What <see cref="PolicyCompiler"/> makes of a <see cref="PolicySet"/> for one Calico release: the tiers with their
    /// compiled policies in evaluation order, the profiles, the selector IP sets, the namespace and service-account labels,
    /// and the rule index of each direction. Read-only once built; endpoints and identities are resolved against it by an
    /// <see cref="EndpointResolver"/>, and requests are evaluated against it by the evaluators.
    /// </summary>
    internal sealed class CompiledPolicySet
    {
        public required CalicoBehavior Behavior { get; init; }
        /// <summary>The set that was compiled (its Pods are found by IP by the resolver).</summary>
        public required PolicySet Source { get; init; }
        /// <summary>When true, a namespace or service account missing from the set is treated as existing with only its
        /// <c>projectcalico.org/name</c> label.</summary>
        public required bool ImplicitNamespaces { get; init; }
        /// <summary>Tiers in evaluation order (<see cref="CompiledTier.Id"/> is the position).</summary>
        public required CompiledTier[] Tiers { get; init; }
        /// <summary>Number of compiled policies over all tiers (<see cref="CompiledPolicy.Id"/> runs 0..PolicyCount-1).</summary>
        public required int PolicyCount { get; init; }
        public required FrozenDictionary<string, CompiledProfile> Profiles { get; init; }
        /// <summary>The distinct selector IP sets referenced by rules; a rule side refers to one by its position.</summary>
        public required Selector[] IpSets { get; init; }
        /// <summary>Labels of each namespace by name, with <c>projectcalico.org/name</c>.</summary>
        public required FrozenDictionary<string, IReadOnlyDictionary<string, string>> NamespaceLabels { get; init; }
        /// <summary>Labels of each service account by <c>namespace/name</c>, with <c>projectcalico.org/name</c>.</summary>
        public required FrozenDictionary<string, IReadOnlyDictionary<string, string>> ServiceAccountLabels { get; init; }
        /// <summary>The rule index of each direction (null for classic releases, which always walk linearly).</summary>
        public RuleIndex? IngressIndex { get; init; }
        public RuleIndex? EgressIndex { get; init; }
    }
}
