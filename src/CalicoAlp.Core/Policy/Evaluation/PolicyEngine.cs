using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>
    /// Compiles a <see cref="PolicySet"/> once into an immutable, indexed form and evaluates requests against it
    /// following Dikastes' decision semantics (spec sections 2-5) for the chosen <see cref="CalicoBehavior"/>.
    /// </summary>
    public sealed partial class PolicyEngine
    {
        internal const string NamespaceLabel = "projectcalico.org/namespace";
        internal const string ServiceAccountLabel = "projectcalico.org/serviceaccount";
        internal const string OrchestratorLabel = "projectcalico.org/orchestrator";
        internal const string NameLabel = "projectcalico.org/name";

        private readonly CompiledTier[] _tiers;
        private readonly Dictionary<string, CompiledProfile> _profiles = new(StringComparer.Ordinal);
        private readonly List<Selector> _ipSets = new();
        private readonly Dictionary<string, int> _ipSetIndex = new(StringComparer.Ordinal);
        private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _namespaceLabels = new(StringComparer.Ordinal);
        private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _serviceAccountLabels = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<ulong, EndpointContext> _endpoints = new();
        private readonly ConcurrentDictionary<string, Peer> _peers = new(StringComparer.Ordinal);

        private PolicyEngine(PolicySet set, CalicoBehavior behavior, bool implicitNamespaces)
        {
            Behavior = behavior;
            ImplicitNamespaces = implicitNamespaces;
            PolicySet = set;
            foreach (var ns in set.Namespaces) _namespaceLabels[ns.Name] = WithName(ns.Labels, ns.Name);
            foreach (var sa in set.ServiceAccounts) _serviceAccountLabels[sa.Namespace + "/" + sa.Name] = WithName(sa.Labels, sa.Name);
            _tiers = CompileTiers(set);
            foreach (var p in set.Profiles)
            {
                _profiles[p.Name] = WithFilters(new CompiledProfile
                {
                    Name = p.Name,
                    Ingress = CompileRules(p.Ingress, null),
                    Egress = CompileRules(p.Egress, null),
                });
            }
            if (!behavior.IsClassic)
            {
                _ingressIndex = RuleIndex.Build(_tiers, ingress: true, behavior);
                _egressIndex = RuleIndex.Build(_tiers, ingress: false, behavior);
            }
        }

        private readonly RuleIndex? _ingressIndex;
        private readonly RuleIndex? _egressIndex;

        /// <summary>When false, tiers are always walked rule by rule (tests compare both ways; the outcome must be the same).</summary>
        internal bool UseRuleIndex { get; set; } = true;

        public CalicoBehavior Behavior { get; }
        public PolicySet PolicySet { get; }
        /// <summary>When true (default), a namespace or service account missing from the set is treated as existing with
        /// only its <c>projectcalico.org/name</c> label (a pod's namespace and SA always exist in a real cluster).</summary>
        public bool ImplicitNamespaces { get; }

        /// <summary>Number of distinct selector IP sets referenced by rules.</summary>
        public int IpSetCount => _ipSets.Count;

        public static PolicyEngine Compile(PolicySet set, CalicoBehavior? behavior = null, bool implicitNamespaces = true) =>
            new(set, behavior ?? CalicoBehavior.Baseline, implicitNamespaces);

        private static IReadOnlyDictionary<string, string> WithName(IReadOnlyDictionary<string, string> labels, string name)
        {
            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var kv in labels) d[kv.Key] = kv.Value;
            d[NameLabel] = name;
            return d;
        }

        // ---------------------------------------------------------------- compilation

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
            var tiers = new List<CompiledTier>();
            foreach (var (name, policies) in byTier)
            {
                var def = tierDefs.TryGetValue(name, out var td) ? td : BuiltInTier(name);
                policies.Sort(ComparePolicies);
                var compiled = new CompiledPolicy[policies.Count];
                for (int i = 0; i < compiled.Length; i++) compiled[i] = CompilePolicy(policies[i]);
                tiers.Add(new CompiledTier { Name = name, Order = def.Order, DefaultAction = def.DefaultAction, Policies = compiled });
            }
            tiers.Sort((a, b) =>
            {
                if (a.Order.HasValue && b.Order.HasValue)
                {
                    int c = a.Order.Value.CompareTo(b.Order.Value);
                    if (c != 0) return c;
                }
                else if (a.Order.HasValue != b.Order.HasValue)
                {
                    return a.Order.HasValue ? -1 : 1;
                }
                return string.CompareOrdinal(a.Name, b.Name);
            });
            for (int i = 0; i < tiers.Count; i++) tiers[i].Id = i;
            return tiers.ToArray();
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
        internal string TieKey(PolicyDef p)
        {
            if (Behavior.Era == DikastesEra.Baseline) return p.Name + "/" + (p.Namespace ?? "") + "/" + p.KindName;
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
                nodes.Add(new CompareNode(NamespaceLabel, LabelOperator.Equal, p.Namespace!));
            }
            else if (p.NamespaceSelector.Length > 0)
            {
                nodes.Add(Selector.Parse(p.NamespaceSelector).WithPrefix("pcns.", NamespaceLabel).Root);
            }
            if (p.ServiceAccountSelector.Length > 0)
            {
                nodes.Add(Selector.Parse(p.ServiceAccountSelector).WithPrefix("pcsa.", ServiceAccountLabel).Root);
            }
            var types = p.EffectiveTypes;
            var compiled = new CompiledPolicy
            {
                Def = p,
                DisplayName = p.DisplayName,
                AppliesTo = ToSelector(nodes),
                Ingress = CompileRules(p.Ingress, p),
                Egress = CompileRules(p.Egress, p),
                IngressType = types.Contains(PolicyType.Ingress),
                EgressType = types.Contains(PolicyType.Egress),
                Staged = p.IsStaged,
            };
            compiled.IngressFilters = BuildFilters(compiled.Ingress);
            compiled.EgressFilters = BuildFilters(compiled.Egress);
            return compiled;
        }

        private CompiledProfile WithFilters(CompiledProfile p)
        {
            p.IngressFilters = BuildFilters(p.Ingress);
            p.EgressFilters = BuildFilters(p.Egress);
            return p;
        }

        private RuleFilter[] BuildFilters(CompiledRule[] rules)
        {
            var filters = new RuleFilter[rules.Length];
            for (int i = 0; i < rules.Length; i++) filters[i] = BuildFilter(rules[i]);
            return filters;
        }

        /// <summary>The pre-checks of a rule (see <see cref="RuleFilter"/>): each mirrors a check of MatchSide / MatchRule.</summary>
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
            ports == null || (Behavior.IsClassic && ports.Named.Length > 0) ? (int.MinValue, int.MaxValue) : ports.Envelope();

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

        private static readonly Dictionary<string, int> ProtocolNumbers = new(StringComparer.Ordinal)
        {
            ["icmp"] = 1, ["icmpv6"] = 58, ["tcp"] = 6, ["udp"] = 17, ["udplite"] = 136, ["sctp"] = 132,
        };

        internal int ProtocolNumber(ProtocolSpec spec)
        {
            if (Behavior.FullProtocolNames)
            {
                if (spec.Number is int n) return n;
                return ProtocolNumbers.TryGetValue(spec.Name!, out var v) ? v : 0;
            }
            if (spec.Number is int m) return m == 1 || m == 6 || m == 17 ? m : 0;
            return spec.Name switch { "icmp" => 1, "tcp" => 6, "udp" => 17, _ => 0 };
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
                    paths[i] = new CompiledPath(p.Exact != null, Behavior.NormalizedPaths ? HttpPath.Normalize(text) : text);
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
                if (c.NamespaceSelector != null) parts.Add(c.NamespaceSelector.WithPrefix("pcns.", NamespaceLabel).Root);
                else if (namespaced) parts.Add(new CompareNode(NamespaceLabel, LabelOperator.Equal, policy!.Namespace!));
            }
            if (c.HasServiceAccounts)
            {
                if (c.ServiceAccountSelector != null) parts.Add(c.ServiceAccountSelector.WithPrefix("pcsa.", ServiceAccountLabel).Root);
                if (c.ServiceAccountNames.Length > 0) parts.Add(new SetNode(ServiceAccountLabel, false, c.ServiceAccountNames));
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

        // ---------------------------------------------------------------- per-request resolution

        private IReadOnlyDictionary<string, string>? NamespaceLabelsOf(string ns)
        {
            if (_namespaceLabels.TryGetValue(ns, out var l)) return l;
            return ImplicitNamespaces ? WithName(EmptyLabels.Instance, ns) : null;
        }

        private IReadOnlyDictionary<string, string>? ServiceAccountLabelsOf(string ns, string sa)
        {
            if (_serviceAccountLabels.TryGetValue(ns + "/" + sa, out var l)) return l;
            return ImplicitNamespaces ? WithName(EmptyLabels.Instance, sa) : null;
        }

        /// <summary>Endpoint labels as Felix computes them (spec section 3).</summary>
        public IReadOnlyDictionary<string, string> EndpointLabels(WorkloadInfo w)
        {
            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            var nsLabels = NamespaceLabelsOf(w.Namespace);
            if (nsLabels != null)
            {
                foreach (var kv in nsLabels) d["pcns." + kv.Key] = kv.Value;
            }
            var saLabels = w.ServiceAccount.Length > 0 ? ServiceAccountLabelsOf(w.Namespace, w.ServiceAccount) : null;
            if (saLabels != null)
            {
                foreach (var kv in saLabels) d["pcsa." + kv.Key] = kv.Value;
            }
            foreach (var kv in w.Labels) d[kv.Key] = kv.Value;
            d[NamespaceLabel] = w.Namespace;
            d[OrchestratorLabel] = "k8s";
            if (w.ServiceAccount.Length > 0) d[ServiceAccountLabel] = w.ServiceAccount;
            return d;
        }

        /// <summary>A 64-bit hash of what makes an endpoint (namespace, service account, labels in any order, named ports),
        /// computed without allocating; a cached endpoint is reused only when its workload is equal too.</summary>
        private static ulong EndpointHash(WorkloadInfo w)
        {
            ulong h = Mix(Fnv(w.Namespace) ^ (Fnv(w.ServiceAccount) * 31));
            ulong labels = (ulong)w.Labels.Count;
            if (w.Labels is Dictionary<string, string> d)
            {
                foreach (var kv in d) labels += Mix(Fnv(kv.Key) ^ (Fnv(kv.Value) * 0x9E3779B97F4A7C15UL));
            }
            else
            {
                foreach (var kv in w.Labels) labels += Mix(Fnv(kv.Key) ^ (Fnv(kv.Value) * 0x9E3779B97F4A7C15UL));
            }
            h = Mix(h ^ labels);
            var ports = w.NamedPorts;
            for (int i = 0; i < ports.Count; i++) h = Mix(h ^ Fnv(ports[i].Name) ^ (Fnv(ports[i].Protocol) << 1) ^ (ulong)ports[i].Port);
            return h;
        }

        private static ulong Fnv(string s)
        {
            ulong h = 14695981039346656037UL;
            foreach (char c in s) h = (h ^ c) * 1099511628211UL;
            return h;
        }

        /// <summary>SplitMix64 finaliser.</summary>
        private static ulong Mix(ulong z)
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        private static bool SameWorkload(WorkloadInfo a, WorkloadInfo b)
        {
            if (ReferenceEquals(a, b)) return true;
            if (!string.Equals(a.Namespace, b.Namespace, StringComparison.Ordinal) ||
                !string.Equals(a.ServiceAccount, b.ServiceAccount, StringComparison.Ordinal) ||
                a.Labels.Count != b.Labels.Count || a.NamedPorts.Count != b.NamedPorts.Count)
            {
                return false;
            }
            foreach (var kv in a.Labels)
            {
                if (!b.Labels.TryGetValue(kv.Key, out var v) || !string.Equals(v, kv.Value, StringComparison.Ordinal)) return false;
            }
            for (int i = 0; i < a.NamedPorts.Count; i++)
            {
                if (a.NamedPorts[i] != b.NamedPorts[i]) return false;
            }
            return true;
        }

        /// <summary>Resolves (and caches per label set) an endpoint: labels, IP-set memberships and the tiers that apply.</summary>
        public EndpointContext GetEndpoint(WorkloadInfo w)
        {
            var key = EndpointHash(w);
            if (_endpoints.TryGetValue(key, out var ep) && SameWorkload(ep.Workload, w)) return ep;
            var labels = EndpointLabels(w);
            var membership = new bool[_ipSets.Count];
            for (int i = 0; i < membership.Length; i++) membership[i] = _ipSets[i].Matches(labels);
            var views = new List<TierView>();
            foreach (var tier in _tiers)
            {
                var ingress = new List<CompiledPolicy>();
                var egress = new List<CompiledPolicy>();
                bool any = false;
                foreach (var p in tier.Policies)
                {
                    // Classic Felix had no staged kinds: they are not sent at all.
                    if (p.Staged && Behavior.IsClassic) continue;
                    if (!p.AppliesTo.Matches(labels)) continue;
                    any = true;
                    if (p.IngressType) ingress.Add(p);
                    if (p.EgressType) egress.Add(p);
                }
                if (any)
                {
                    views.Add(new TierView
                    {
                        Tier = tier,
                        Ingress = ingress.ToArray(),
                        Egress = egress.ToArray(),
                        IngressEnforced = ingress.Exists(p => !p.Staged || Behavior.StagedEnforced),
                        EgressEnforced = egress.Exists(p => !p.Staged || Behavior.StagedEnforced),
                    });
                }
            }
            ep = new EndpointContext(w, labels, membership, views.ToArray());
            // A hash collision with a different workload keeps the first one cached (the other is resolved each time).
            if (_endpoints.Count < 100_000) _endpoints.TryAdd(key, ep);
            return ep;
        }

        private Peer PeerOf(string principal)
        {
            if (principal.Length == 0) return Peer.Plaintext;
            if (_peers.TryGetValue(principal, out var peer)) return peer;
            if (!SpiffeIdentity.TryParse(principal, out var ns, out var sa))
            {
                peer = Peer.Malformed;
            }
            else
            {
                peer = new Peer
                {
                    Name = sa,
                    Namespace = ns,
                    ServiceAccountLabels = ServiceAccountLabelsOf(ns, sa) ?? EmptyLabels.Instance,
                    NamespaceLabels = NamespaceLabelsOf(ns) ?? EmptyLabels.Instance,
                };
            }
            if (_peers.Count < 100_000) _peers.TryAdd(principal, peer);
            return peer;
        }

        /// <summary>The identity of an endpoint's workload (its SPIFFE principal), resolved once per endpoint.</summary>
        private Peer WorkloadPeer(EndpointContext endpoint) => endpoint.WorkloadPeer ??= PeerOf(endpoint.Workload.Principal);

        private readonly ConcurrentDictionary<string, CompiledProfile> _syntheticProfiles = new(StringComparer.Ordinal);

        private CompiledProfile? ProfileOf(string name)
        {
            if (_profiles.TryGetValue(name, out var p)) return p;
            if (_syntheticProfiles.TryGetValue(name, out p)) return p;
            // Calico creates kns.<ns> (ingress and egress Allow) and ksa.<ns>.<sa> (no rules) for every namespace / SA.
            if (name.StartsWith("kns.", StringComparison.Ordinal))
            {
                var allow = new RuleDef { Action = RuleAction.Allow, ActionText = "Allow" };
                var synthetic = WithFilters(new CompiledProfile
                {
                    Name = name,
                    Ingress = CompileRules([allow], null),
                    Egress = CompileRules([allow], null),
                });
                _syntheticProfiles.TryAdd(name, synthetic);
                return synthetic;
            }
            if (name.StartsWith("ksa.", StringComparison.Ordinal)) return new CompiledProfile { Name = name };
            return null;
        }

        /// <summary>Resolves identities, endpoints, profiles and path forms once; the result can be evaluated many times.</summary>
        public PreparedRequest Prepare(AlpRequest r)
        {
            if (r.Protocol < 1 || r.Protocol > 255)
                throw new AlpException("InvalidProtocol", AlpErrorKind.InvalidArgument, $"Protocol {r.Protocol} is outside 1..255.", r.Protocol);
            if (r.Method != null && (r.Method.Length == 0 || r.Method.IndexOf(' ') >= 0))
                throw new AlpException("InvalidMethod", AlpErrorKind.InvalidArgument, $"'{r.Method}' is not an HTTP method.", r.Method);
            var q = new PreparedRequest { Request = r };
            q.Direction = r.Direction;
            q.Source.HasIp = r.SourceIP != null;
            if (r.SourceIP != null) q.Source.Ip = IpValue.From(r.SourceIP);
            q.Source.Port = r.SourcePort;
            q.Source.Endpoint = r.SourceWorkload != null ? GetEndpoint(r.SourceWorkload) : null;
            q.Destination.HasIp = r.DestinationIP != null;
            if (r.DestinationIP != null) q.Destination.Ip = IpValue.From(r.DestinationIP);
            q.Destination.Port = r.DestinationPort;
            q.Destination.Endpoint = r.DestinationWorkload != null ? GetEndpoint(r.DestinationWorkload) : null;

            q.Source.Peer = r.Direction == TrafficDirection.Egress && r.SourcePrincipal.Length == 0 && q.Source.Endpoint != null
                ? WorkloadPeer(q.Source.Endpoint)
                : PeerOf(r.SourcePrincipal);
            q.SourcePrincipalMalformed = q.Source.Peer.Nil;
            q.Destination.Peer = r.DestinationPrincipal != null ? PeerOf(r.DestinationPrincipal)
                : q.Destination.Endpoint != null ? WorkloadPeer(q.Destination.Endpoint) : Peer.Plaintext;

            q.Local = r.Direction == TrafficDirection.Ingress ? q.Destination.Endpoint : q.Source.Endpoint;
            var localWorkload = r.Direction == TrafficDirection.Ingress ? r.DestinationWorkload : r.SourceWorkload;
            if (r.Profiles != null)
            {
                q.Profiles = ResolveProfiles(r.Profiles);
            }
            else if (q.Local != null)
            {
                // What Calico gives a Kubernetes pod, resolved once per endpoint (namespace and service account are part of it).
                q.Profiles = q.Local.DefaultProfiles ??= ResolveProfiles(
                    [$"kns.{localWorkload!.Namespace}", $"ksa.{localWorkload.Namespace}.{localWorkload.ServiceAccount}"]);
            }

            q.Protocol = r.Protocol;
            q.Method = r.Method;
            q.HasHttp = r.Method != null || r.Path != null;
            if (r.Path != null)
            {
                q.HasPath = true;
                q.PathRooted = r.Path.StartsWith('/');
                q.PathForMatch = Behavior.NormalizedPaths ? HttpPath.Normalize(r.Path) : HttpPath.StripQueryRaw(r.Path);
            }
            return q;
        }

        private CompiledProfile[] ResolveProfiles(IReadOnlyList<string> names)
        {
            var profiles = new List<CompiledProfile>(names.Count);
            foreach (var name in names)
            {
                var p = ProfileOf(name);
                if (p != null) profiles.Add(p);
            }
            return profiles.ToArray();
        }

        private Dictionary<System.Net.IPAddress, WorkloadInfo>? _podsByIp;

        /// <summary>The loaded Pod that owns <paramref name="ip"/> (the first one read with that address) as a workload, or
        /// null; the index is built on first use.</summary>
        public WorkloadInfo? PodByIp(System.Net.IPAddress? ip)
        {
            if (ip == null) return null;
            var pods = Volatile.Read(ref _podsByIp);
            if (pods == null)
            {
                pods = new Dictionary<System.Net.IPAddress, WorkloadInfo>();
                foreach (var pod in PolicySet.Pods)
                {
                    WorkloadInfo? workload = null;
                    foreach (var podIp in pod.IPs)
                    {
                        if (System.Net.IPAddress.TryParse(podIp, out var a))
                            pods.TryAdd(a, workload ??= new WorkloadInfo(pod.Namespace, pod.ServiceAccount, pod.Labels) { NamedPorts = pod.NamedPorts });
                    }
                }
                pods = Interlocked.CompareExchange(ref _podsByIp, pods, null) ?? pods;
            }
            return pods.TryGetValue(ip, out var w) ? w : null;
        }

        /// <summary>Prepares and evaluates in one call.</summary>
        public PolicyDecision Evaluate(AlpRequest request, List<TraceStep>? trace = null) => Evaluate(Prepare(request), trace);
    }
}
