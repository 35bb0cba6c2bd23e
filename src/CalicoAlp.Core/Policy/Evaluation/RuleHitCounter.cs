using System;
using System.Collections.Generic;
using System.Linq;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>Counts, per deciding rule, the decisions of a stream of evaluations (one dictionary look-up per decision).</summary>
    public sealed class RuleHitCounter
    {
        private readonly Dictionary<Key, Entry> _hits = new();
        private bool _ingressSeen;
        private bool _egressSeen;

        private readonly record struct Key(string Name, bool IsProfile, TrafficDirection Direction, int RuleIndex);

        private sealed class Entry
        {
            public string? Tier;
            public RuleAction? Action;
            public long Hits;
        }

        /// <summary>True once a request of that direction was counted (a rule of the other direction cannot have been hit).</summary>
        public bool Saw(TrafficDirection direction) => direction == TrafficDirection.Ingress ? _ingressSeen : _egressSeen;

        public void Count(in PolicyDecision decision, TrafficDirection direction)
        {
            if (direction == TrafficDirection.Ingress) _ingressSeen = true; else _egressSeen = true;
            if (decision.RuleIndex < 0) return;
            var name = decision.Policy ?? decision.Profile;
            if (name == null) return;
            var key = new Key(name, decision.Policy == null, direction, decision.RuleIndex);
            if (!_hits.TryGetValue(key, out var entry))
            {
                _hits[key] = entry = new Entry { Tier = decision.Tier, Action = decision.Action };
            }
            entry.Hits++;
        }

        /// <summary>Hits of <paramref name="policy"/>'s rule (display name, namespace/name for namespaced policies).</summary>
        public long HitsOf(string policy, TrafficDirection direction, int ruleIndex) =>
            _hits.TryGetValue(new Key(policy, false, direction, ruleIndex), out var e) ? e.Hits : 0;

        /// <summary>Every rule that decided at least once, most hits first (then by name, direction and index).</summary>
        public List<RuleHit> ToList()
        {
            var list = new List<RuleHit>(_hits.Count);
            foreach (var (k, e) in _hits)
            {
                list.Add(new RuleHit(e.Tier, k.IsProfile ? null : k.Name, k.IsProfile ? k.Name : null, k.Direction, k.RuleIndex, e.Action, e.Hits));
            }
            list.Sort((a, b) =>
            {
                int c = b.Hits.CompareTo(a.Hits);
                if (c == 0) c = string.CompareOrdinal(a.Rule, b.Rule);
                return c;
            });
            return list;
        }

        /// <summary>
        /// The Allow/Deny rules of <paramref name="engine"/>'s enforced policies (staged ones count when the engine enforces
        /// them) that decided no request, for the directions seen. Pass and Log rules never decide and are not listed.
        /// </summary>
        public List<RuleHit> Unused(PolicyEngine engine)
        {
            var unused = new List<RuleHit>();
            foreach (var p in engine.PolicySet.Policies)
            {
                if (p.IsStaged && (!engine.Behavior.StagedEnforced || engine.Behavior.IsClassic)) continue;
                var types = p.EffectiveTypes;
                foreach (var direction in new[] { TrafficDirection.Ingress, TrafficDirection.Egress })
                {
                    if (!Saw(direction)) continue;
                    if (!types.Contains(direction == TrafficDirection.Ingress ? PolicyType.Ingress : PolicyType.Egress)) continue;
                    var rules = direction == TrafficDirection.Ingress ? p.Ingress : p.Egress;
                    for (int i = 0; i < rules.Count; i++)
                    {
                        var action = rules[i].Action;
                        if (action == RuleAction.Pass || action == RuleAction.Log) continue;
                        if (HitsOf(p.DisplayName, direction, i) == 0)
                        {
                            unused.Add(new RuleHit(p.Tier, p.DisplayName, null, direction, i, action, 0));
                        }
                    }
                }
            }
            return unused;
        }
    }
}
