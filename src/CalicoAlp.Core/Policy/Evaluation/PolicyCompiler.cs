using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Linq;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>
    /// Compiles a <see cref="PolicySet"/> for one <see cref="CalicoBehavior"/> into a <see cref="CompiledPolicySet"/>: tiers
    /// and policies in Calico's order, rules with their pre-checks (<see cref="RuleFilter"/>), selector IP sets (spec 5.3),
    /// profiles, and the rule index of each direction. Nothing is written into a compiled object after it is built.
    /// </summary>
    internal sealed class PolicyCompiler
    {
        private readonly CalicoBehavior _behavior;
        private readonly List<Selector> _ipSets = new();
        private readonly Dictionary<string, int> _ipSetIndex = new(StringComparer.Ordinal);
        private int _policyCount;

        private PolicyCompiler(CalicoBehavior behavior) => _behavior = behavior;

        public static CompiledPolicySet Compile(PolicySet set, CalicoBehavior behavior, bool implicitNamespaces)
        {
            var compiler = new PolicyCompiler(behavior);
            var namespaceLabels = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
            var serviceAccountLabels = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
            foreach (var ns in set.Namespaces) namespaceLabels[ns.Name] = WithName(ns.Labels, ns.Name);
            foreach (var sa in set.ServiceAccounts) serviceAccountLabels[sa.Namespace + "/" + sa.Name] = WithName(sa.Labels, sa.Name);
            var tiers = compiler.CompileTiers(set);
            var profiles = new Dictionary<string, CompiledProfile>(StringComparer.Ordinal);
            foreach (var p in set.Profiles) profiles[p.Name] = compiler.CompileProfile(p.Name, p.Ingress, p.Egress);
            return new CompiledPolicySet
            {
                Behavior = behavior,
                Source = set,
                ImplicitNamespaces = implicitNamespaces,
                Tiers = tiers,
                PolicyCount = compiler._policyCount,
                Profiles = profiles.ToFrozenDictionary(StringComparer.Ordinal),
                IpSets = compiler._ipSets.ToArray(),
                NamespaceLabels = namespaceLabels.ToFrozenDictionary(StringComparer.Ordinal),
                ServiceAccountLabels = serviceAccountLabels.ToFrozenDictionary(StringComparer.Ordinal),
                IngressIndex = behavior.IsClassic ? null : RuleIndex.Build(tiers, compiler._policyCount, ingress: true, behavior),
                EgressIndex = behavior.IsClassic ? null : RuleIndex.Build(tiers, compiler._policyCount, ingress: false, behavior),
            };
        }

        /// <summary>The profile Calico creates for every namespace (<c>kns.&lt;ns&gt;</c>): one Allow rule each way.</summary>
        public static CompiledProfile AllowAllProfile(string name, CalicoBehavior behavior)
        {
            var allow = new RuleDef { Action = RuleAction.Allow, ActionText = "Allow" };
            return new PolicyCompiler(behavior).CompileProfile(name, [allow], [allow]);
        }

        /// <summary>Labels plus <c>projectcalico.org/name</c> = <paramref name="name"/>.</summary>
        internal static IReadOnlyDictionary<string, string> WithName(IReadOnlyDictionary<string, string> labels, string name)
        {
            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var kv in labels) d[kv.Key] = kv.Value;
            d[EndpointLabelNames.Name] = name;
            return d;
        }

        private CompiledProfile CompileProfile(string name, IReadOnlyList<RuleDef> ingress, IReadOnlyList<RuleDef> egress)
        {
            var ingressRules = CompileRules(ingress, null);
            var egressRules = CompileRules(egress, null);
            return new CompiledProfile
            {
                Name = name,
                Ingress = ingressRules,
                Egress = egressRules,
                IngressFilters = BuildFilters(ingressRules),
                EgressFilters = BuildFilters(egressRules),
            };
        }

        private CompiledTier[] CompileTiers(PolicySet set)
        {
            var tierDefs = new Dictionary<string, TierDef>(StringComparer.Ordinal);
            foreach (var t in set.Tiers) tierDefs[t.Name] = t;
            // The same object loaded twice (kind, namespace, name): the last one read wins, as an update would.
            var latest = new Dictionary<(PolicyKind, string?, string), PolicyDef>();
            foreach (var p in set.Policies) latest[(p.Kind, p.Namespace, p.Name)] = p;
            var byTier = new Dictionary<string, List<PolicyDef>>(StringComparer.Ordinal);
            foreach (var p in set.Policies)
            {
                if (!ReferenceEquals(latest[(p.Kind, p.Namespace, p.Name)], p)) continue;
                if (!byTier.TryGetValue(p.Tier, out var list)) byTier[p.Tier] = list = new List<PolicyDef>();
                list.Add(p);
            }
            var order = new List<(TierDef Def, List<PolicyDef> Policies)>();
            foreach (var (name, policies) in byTier)
            {
                policies.Sort(ComparePolicies);
                order.Add((tierDefs.TryGetValue(name, out var td) ? td : BuiltInTier(name), policies));
            }
            order.Sort((a, b) =>
            {
                if (a.Def.Order.HasValue && b.Def.Order.HasValue)
                {
                    int c = a.Def.Order.Value.CompareTo(b.Def.Order.Value);
                    if (c != 0) return c;
                }
                else if (a.Def.Order.HasValue != b.Def.Order.HasValue)
                {
                    return a.Def.Order.HasValue ? -1 : 1;
                }
                return string.CompareOrdinal(a.Def.Name, b.Def.Name);
            });
            var tiers = new CompiledTier[order.Count];
            for (int t = 0; t < tiers.Length; t++)
            {
                var (def, policies) = order[t];
                var compiled = new CompiledPolicy[policies.Count];
                for (int i = 0; i < compiled.Length; i++) compiled[i] = CompilePolicy(policies[i]);
                tiers[t] = new CompiledTier { Name = def.Name, Id = t, Order = def.Order, DefaultAction = def.DefaultAction, Policies = compiled };
            }
            return tiers;
        }

        /// <summary>Tiers that exist without a Tier object: default, kube-admin, kube-baseline (and their v3.30/3.31 names).</summary>
        internal static TierDef BuiltInTier(string name) => name switch
        {
            TierDef.DefaultTierName => new TierDef(name, 1_000_000, RuleAction.Deny, SourceLocation.None),
            "kube-admin" or "adminnetworkpolicy" => new TierDef(name, 1_000, RuleAction.Pass, SourceLocation.None),
            "kube-baseline" or "baselineadminnetworkpolicy" => new TierDef(name, 10_000_000, RuleAction.Pass, SourceLocation.None),
            _ => new TierDef(name, null, RuleAction.Deny, SourceLocation.None),
        };

        private int ComparePolicies(PolicyDef a, PolicyDef b)
        {
            double oa = a.Order ?? double.PositiveInfinity, ob = b.Order ?? double.PositiveInfinity;
            int c = oa.CompareTo(ob);
            if (c != 0) return c;
            return string.CompareOrdinal(TieKey(a), TieKey(b));
        }

        /// <summary>Baseline: <c>name/namespace/kind</c>. Older releases: the (prefixed) name; equal names (possible only across
        /// namespaces/kinds, spec 9.6) are then ordered by namespace and kind so that the order is deterministic.</summary>
        private string TieKey(PolicyDef p)
        {
            if (_behavior.Era == DikastesEra.Baseline) return p.Name + "/" + (p.Namespace ?? "") + "/" + p.KindName;
            var name = p.Name;
            if (p.Tier == TierDef.DefaultTierName && !name.StartsWith("knp.", StringComparison.Ordinal) &&
                !name.StartsWith("default.", StringComparison.Ordinal))
            {
                name = "default." + name;
            }
            return name + "\0" + (p.Namespace ?? "") + "\0" + p.KindName;
        }

        private CompiledPolicy CompilePolicy(PolicyDef p)
        {
            var nodes = new List<SelectorNode>();
            var sel = Selector.Parse(p.Selector);
            if (!sel.IsAll) nodes.Add(sel.Root);
            if (p.IsNamespaced)
            {
                nodes.Add(new CompareNode(EndpointLabelNames.Namespace, LabelOperator.Equal, p.Namespace!));
            }
            else if (p.NamespaceSelector.Length > 0)
            {
                nodes.Add(Selector.Parse(p.NamespaceSelector).WithPrefix("pcns.", EndpointLabelNames.Namespace).Root);
            }
            if (p.ServiceAccountSelector.Length > 0)
            {
                nodes.Add(Selector.Parse(p.ServiceAccountSelector).WithPrefix("pcsa.", EndpointLabelNames.ServiceAccount).Root);
            }
            var types = p.EffectiveTypes;
            var ingress = CompileRules(p.Ingress, p);
            var egress = CompileRules(p.Egress, p);
            return new CompiledPolicy
            {
                Def = p,
                Id = _policyCount++,
                DisplayName = p.DisplayName,
                AppliesTo = ToSelector(nodes),
                Ingress = ingress,
                Egress = egress,
                IngressFilters = BuildFilters(ingress),
                EgressFilters = BuildFilters(egress),
                IngressType = types.Contains(PolicyType.Ingress),
                EgressType = types.Contains(PolicyType.Egress),
                Staged = p.IsStaged,
            };
        }

        private RuleFilter[] BuildFilters(CompiledRule[] rules)
        {
            var filters = new RuleFilter[rules.Length];
            for (int i = 0; i < rules.Length; i++) filters[i] = BuildFilter(rules[i]);
            return filters;
        }

        /// <summary>The pre-checks of a rule (see <see cref="RuleFilter"/>): each mirrors a check of <see cref="RuleMatcher"/>.</summary>
        private RuleFilter BuildFilter(CompiledRule r)
        {
            var f = new RuleFilter
            {
                SrcPositiveSet = r.Source.PositiveSet,
                SrcNegativeSet = r.Source.NegativeSet,
                DstPositiveSet = r.Destination.PositiveSet,
                DstNegativeSet = r.Destination.NegativeSet,
            };
            (f.SrcPortMin, f.SrcPortMax) = PortEnvelope(r.Source.Ports);
            (f.DstPortMin, f.DstPortMax) = PortEnvelope(r.Destination.Ports);
            (f.SrcNets, f.SrcNetMin, f.SrcNetMax) = NetsFilter(r.Source.Nets);
            (f.DstNets, f.DstNetMin, f.DstNetMax) = NetsFilter(r.Destination.Nets);
            if (r.HasHttp && r.Methods.Length == 1 && !r.AnyMethod) f.Method = r.Methods[0];
            return f;
        }

        /// <summary>Classic releases may match a named port beside the numeric ones: no port pre-check then.</summary>
        private (int, int) PortEnvelope(PortSet? ports) =>
            ports == null || (_behavior.IsClassic && ports.Named.Length > 0) ? (int.MinValue, int.MaxValue) : ports.Envelope();

        private static (byte, uint, uint) NetsFilter(NetSet? nets)
        {
            if (nets == null) return (0, 0, 0);
            if (nets.Invalid) return (2, 0, 0);
            var (lo, hi) = nets.V4Envelope();
            return (1, lo, hi);
        }

        private static Selector ToSelector(List<SelectorNode> nodes)
        {
            if (nodes.Count == 0) return Selector.All;
            var node = nodes.Count == 1 ? nodes[0] : new JunctionNode(true, nodes.ToArray());
            return new Selector(node.ToString(), node);
        }

        private CompiledRule[] CompileRules(IReadOnlyList<RuleDef> rules, PolicyDef? policy)
        {
            var result = new CompiledRule[rules.Count];
            for (int i = 0; i < result.Length; i++) result[i] = CompileRule(rules[i], i, policy);
            return result;
        }

        /// <summary>A rule's protocol as this release understands it: 0 = a protocol it does not know (never matches).
        /// Releases before full protocol names (spec 9.x) knew only ICMP, TCP and UDP.</summary>
        private int ProtocolNumber(ProtocolSpec spec)
        {
            if (_behavior.FullProtocolNames) return spec.Number ?? IpProtocol.NumberOf(spec.Name!);
            int n = spec.Number ?? IpProtocol.NumberOf(spec.Name!);
            return n is IpProtocol.Icmp or IpProtocol.Tcp or IpProtocol.Udp ? n : 0;
        }

        private CompiledRule CompileRule(RuleDef r, int index, PolicyDef? policy)
        {
            var rule = new CompiledRule
            {
                Def = r,
                Action = r.Action,
                Index = index,
                Source = CompileEntity(r.Source, policy),
                Destination = CompileEntity(r.Destination, policy),
            };
            if (r.Protocol != null)
            {
                rule.HasProtocol = true;
                rule.Protocol = ProtocolNumber(r.Protocol);
            }
            if (r.NotProtocol != null)
            {
                rule.HasNotProtocol = true;
                rule.NotProtocol = ProtocolNumber(r.NotProtocol);
            }
            if (r.Http != null)
            {
                rule.HasHttp = true;
                var methods = new List<string>();
                foreach (var m in r.Http.Methods)
                {
                    if (m == "*") rule.AnyMethod = true;
                    methods.Add(m);
                }
                rule.Methods = methods.ToArray();
                var paths = new CompiledPath[r.Http.Paths.Count];
                for (int i = 0; i < paths.Length; i++)
                {
                    var p = r.Http.Paths[i];
                    var text = (p.Exact ?? p.Prefix)!;
                    paths[i] = new CompiledPath(p.Exact != null, _behavior.NormalizedPaths ? HttpPath.Normalize(text) : text);
                }
                rule.Paths = paths;
            }
            return rule;
        }

        private CompiledEntity CompileEntity(EntityRuleDef e, PolicyDef? policy)
        {
            var c = new CompiledEntity
            {
                HasServiceAccounts = e.ServiceAccounts != null,
                ServiceAccountNames = e.ServiceAccounts == null ? [] : [.. e.ServiceAccounts.Names],
                ServiceAccountSelector = e.ServiceAccounts?.Selector is string ss ? Selector.Parse(ss) : null,
                NamespaceSelector = e.NamespaceSelector is string ns ? Selector.Parse(ns) : null,
                Nets = NetSet.Compile(e.Nets),
                NotNets = NetSet.Compile(e.NotNets),
                Ports = PortSet.Compile(e.Ports),
                NotPorts = PortSet.Compile(e.NotPorts),
            };
            bool namespaced = policy != null && policy.IsNamespaced;
            if (c.NamespaceSelector == null && namespaced && (e.Selector != null || e.NotSelector != null || c.HasServiceAccounts))
            {
                c.RequiredNamespace = policy!.Namespace;
            }

            // IP sets (spec 5.3): one positive selector and maybe one negative selector.
            bool identityCriteria = e.Selector != null || c.HasServiceAccounts || e.NotSelector != null || e.NamespaceSelector != null;
            var parts = new List<SelectorNode>();
            if (identityCriteria)
            {
                if (c.NamespaceSelector != null) parts.Add(c.NamespaceSelector.WithPrefix("pcns.", EndpointLabelNames.Namespace).Root);
                else if (namespaced) parts.Add(new CompareNode(EndpointLabelNames.Namespace, LabelOperator.Equal, policy!.Namespace!));
            }
            if (c.HasServiceAccounts)
            {
                if (c.ServiceAccountSelector != null) parts.Add(c.ServiceAccountSelector.WithPrefix("pcsa.", EndpointLabelNames.ServiceAccount).Root);
                if (c.ServiceAccountNames.Length > 0) parts.Add(new SetNode(EndpointLabelNames.ServiceAccount, false, c.ServiceAccountNames));
            }
            if (e.Selector != null) parts.Add(Selector.Parse(e.Selector).Root);
            Selector? notSel = e.NotSelector != null ? Selector.Parse(e.NotSelector) : null;
            if (parts.Count > 0)
            {
                if (notSel != null) parts.Add(new NotNode(notSel.Root));
                c.PositiveSet = RegisterIpSet(ToSelector(parts).Root);
            }
            else if (notSel != null)
            {
                c.NegativeSet = RegisterIpSet(notSel.Root);
            }
            return c;
        }

        private int RegisterIpSet(SelectorNode node)
        {
            var key = node.ToString();
            if (_ipSetIndex.TryGetValue(key, out var idx)) return idx;
            idx = _ipSets.Count;
            _ipSets.Add(new Selector(key, node));
            _ipSetIndex[key] = idx;
            return idx;
        }
    }
}
