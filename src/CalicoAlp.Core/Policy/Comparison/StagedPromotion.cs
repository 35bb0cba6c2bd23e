using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Comparison
{
    /// <summary>
    /// Previews staged policies as Calico applies them when they are promoted: a StagedGlobalNetworkPolicy,
    /// StagedNetworkPolicy or StagedKubernetesNetworkPolicy with stagedAction Set (the default) becomes the enforced
    /// GlobalNetworkPolicy, NetworkPolicy or Kubernetes NetworkPolicy of the same name (replacing one that exists); with
    /// stagedAction Delete it removes that enforced policy.
    /// </summary>
    public static class StagedPromotion
    {
        public static PolicyKind EnforcedKind(PolicyKind staged) => staged switch
        {
            PolicyKind.StagedGlobalNetworkPolicy => PolicyKind.GlobalNetworkPolicy,
            PolicyKind.StagedNetworkPolicy => PolicyKind.NetworkPolicy,
            PolicyKind.StagedKubernetesNetworkPolicy => PolicyKind.KubernetesNetworkPolicy,
            _ => staged,
        };

        public static PolicySet Promote(PolicySet set, out int promoted)
        {
            promoted = 0;
            // The enforced policies a promoted staged policy replaces or deletes: same enforced kind, namespace and name.
            var replaced = new HashSet<(PolicyKind, string?, string)>();
            foreach (var p in set.Policies)
            {
                if (p.IsStaged) replaced.Add((EnforcedKind(p.Kind), p.Namespace, p.Name));
            }
            if (replaced.Count == 0) return set;
            var policies = new List<PolicyDef>(set.Policies.Count);
            foreach (var p in set.Policies)
            {
                if (p.IsStaged)
                {
                    promoted++;
                    if (p.StagedAction == StagedAction.Set) policies.Add(p with { Kind = EnforcedKind(p.Kind) });
                }
                else if (!replaced.Contains((p.Kind, p.Namespace, p.Name)))
                {
                    policies.Add(p);
                }
            }
            return set with { Policies = policies };
        }
    }
}
