using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>
    /// Evaluates the tiers of a request through a direction's <see cref="RuleIndex"/> (v3.30+, no trace): only the candidate
    /// rules are matched, in position order, so the decision is that of the <see cref="LinearEvaluator"/>'s walk.
    /// </summary>
    internal sealed class IndexedEvaluator
    {
        private readonly RuleMatcher _matcher;

        public IndexedEvaluator(RuleMatcher matcher) => _matcher = matcher;

        /// <summary>
        /// The tiers through the <see cref="RuleIndex"/>: only the candidate rules are matched, in position order, so the outcome is that of the linear
        /// walk. Returns null when no tier decided (the profiles come next). Allocates nothing once the endpoint's, identity's and
        /// port interval's lists are cached.
        /// </summary>
        public PolicyDecision? EvaluateTiers(PreparedRequest q, EndpointContext local, RuleIndex index, in RequestKey key)
        {
            var cursors = new CandidateCursors();
            int count = 0;
            var src = index.Source;
            var dst = index.Destination;
            // At most 11 lists before the paths: always, names x2, nets x2 (wide or IPv6, and the address's interval), sets x2,
            // method, ports x2; the path lists take what is left of the capacity (or fall back to one list).
            RuleIndex.Add(ref cursors, ref count, index.Always, NetsProven.None);
            RuleIndex.Add(ref cursors, ref count, src.NameList(q.Source.Peer), NetsProven.None);
            RuleIndex.Add(ref cursors, ref count, dst.NameList(q.Destination.Peer), NetsProven.None);
            RuleIndex.Add(ref cursors, ref count, src.NetsLists(in q.Source, out int from, out int to), NetsProven.None);
            RuleIndex.Add(ref cursors, ref count, src.NetList, from, to, NetsProven.Source);
            RuleIndex.Add(ref cursors, ref count, dst.NetsLists(in q.Destination, out from, out to), NetsProven.None);
            RuleIndex.Add(ref cursors, ref count, dst.NetList, from, to, NetsProven.Destination);
            RuleIndex.Add(ref cursors, ref count, src.SetList(q.Source.Endpoint), NetsProven.None);
            RuleIndex.Add(ref cursors, ref count, dst.SetList(q.Destination.Endpoint), NetsProven.None);
            RuleIndex.Add(ref cursors, ref count, index.MethodList(q.Method), NetsProven.None);
            RuleIndex.Add(ref cursors, ref count, src.PortList(q.Source.Port), NetsProven.None);
            RuleIndex.Add(ref cursors, ref count, dst.PortList(q.Destination.Port), NetsProven.None);
            index.AddPathLists(q, ref cursors, ref count);

            bool ingress = index.Ingress;
            var views = local.Tiers;
            var applies = count > 0 ? index.AppliesTo(local) : null;
            int v = 0;
            bool passed = false;
            while (count > 0)
            {
                // The smallest next position of all lists (there are few lists, each usually short).
                int best = 0;
                int bit = cursors[0].List[cursors[0].Next];
                for (int c = 1; c < count; c++)
                {
                    int candidate = cursors[c].List[cursors[c].Next];
                    if (candidate < bit)
                    {
                        bit = candidate;
                        best = c;
                    }
                }
                var proven = cursors[best].Proven;
                if (++cursors[best].Next == cursors[best].End) cursors[best] = cursors[--count];

                // Close the tiers that end before this rule.
                while (v < views.Length && bit >= index.TierEnd[views[v].Tier.Id])
                {
                    if (EndOfTier(views[v], ingress, passed) is { } decided) return decided;
                    v++;
                    passed = false;
                }
                if (v == views.Length) return null;
                if (passed || bit < index.TierStart[views[v].Tier.Id] || (applies![bit >> 6] & (1UL << bit)) == 0) continue;

                if (RuleMatcher.Rejects(in index.FilterAt[bit], in key)) continue;
                var rule = index.RuleAt[bit];
                var m = _matcher.MatchRule(rule, q, proven, out _, out _);
                if (m == RuleOutcome.NoMatch || (m == RuleOutcome.Match && rule.Action == RuleAction.Log)) continue;
                var tierName = views[v].Tier.Name;
                var policy = index.PolicyOf[bit].DisplayName;
                if (m == RuleOutcome.InvalidArgument)
                    return new PolicyDecision(Verdict.Deny, CheckStatus.INVALID_ARGUMENT, DecisionReason.InvalidPath, tierName, policy, null, rule.Index, rule.Action);
                switch (rule.Action)
                {
                    case RuleAction.Allow:
                        return new PolicyDecision(Verdict.Allow, CheckStatus.OK, DecisionReason.PolicyRule, tierName, policy, null, rule.Index, RuleAction.Allow);
                    case RuleAction.Deny:
                        return new PolicyDecision(Verdict.Deny, CheckStatus.PERMISSION_DENIED, DecisionReason.PolicyRule, tierName, policy, null, rule.Index, RuleAction.Deny);
                    case RuleAction.Pass:
                        passed = true; // the rest of this tier is skipped
                        break;
                    default:
                        return new PolicyDecision(Verdict.Deny, CheckStatus.INVALID_ARGUMENT, DecisionReason.InvalidPath, tierName, policy, null, rule.Index, rule.Action);
                }
            }
            for (; v < views.Length; v++, passed = false)
            {
                if (EndOfTier(views[v], ingress, passed) is { } decided) return decided;
            }
            return null;
        }

        /// <summary>A tier that no rule decided: nothing when it has no enforced policy for the direction, was passed, or ends in
        /// Pass; otherwise its default Deny.</summary>
        private static PolicyDecision? EndOfTier(TierView view, bool ingress, bool passed)
        {
            if (!(ingress ? view.IngressEnforced : view.EgressEnforced) || passed || view.Tier.DefaultAction == RuleAction.Pass) return null;
            return new PolicyDecision(Verdict.Deny, CheckStatus.PERMISSION_DENIED, DecisionReason.TierDefaultAction, view.Tier.Name, null, null, -1, RuleAction.Deny);
        }
    }
}
