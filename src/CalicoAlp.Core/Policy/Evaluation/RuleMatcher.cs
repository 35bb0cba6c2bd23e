using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>
    /// Whether one compiled rule matches a prepared request, as Dikastes decides it for one <see cref="CalicoBehavior"/>
    /// (spec 5.2 - 5.6): identities, IP sets, ports, nets, HTTP method and path, protocol. Also the rule's cheap pre-checks
    /// (<see cref="Rejects"/>). Used by both evaluators, so the linear walk and the rule index match rules the same way.
    /// </summary>
    internal sealed class RuleMatcher
    {
        private readonly CalicoBehavior _behavior;

        public RuleMatcher(CalicoBehavior behavior) => _behavior = behavior;

        /// <summary>True when a pre-check proves that the rule does not match (see <see cref="RuleFilter"/>).</summary>
        public static bool Rejects(in RuleFilter f, in RequestKey k)
        {
            // IP sets (MatchSide: positive set needs the endpoint in it; negative set excludes it).
            if (f.SrcPositiveSet >= 0 && (k.SrcMembership == null || !k.SrcMembership[f.SrcPositiveSet])) return true;
            if (f.DstPositiveSet >= 0 && (k.DstMembership == null || !k.DstMembership[f.DstPositiveSet])) return true;
            if (f.SrcNegativeSet >= 0 && k.SrcMembership != null && k.SrcMembership[f.SrcNegativeSet]) return true;
            if (f.DstNegativeSet >= 0 && k.DstMembership != null && k.DstMembership[f.DstNegativeSet]) return true;
            // Ports: outside the numeric envelope means not in the set.
            if (k.SrcPort < f.SrcPortMin || k.SrcPort > f.SrcPortMax) return true;
            if (k.DstPort < f.DstPortMin || k.DstPort > f.DstPortMax) return true;
            // Nets: invalid entry, no IP, or an IPv4 address outside the IPv4 envelope.
            if (f.SrcNets != 0 && (f.SrcNets == 2 || !k.SrcHasIp || (!k.SrcIsV6 && (k.SrcV4 < f.SrcNetMin || k.SrcV4 > f.SrcNetMax)))) return true;
            if (f.DstNets != 0 && (f.DstNets == 2 || !k.DstHasIp || (!k.DstIsV6 && (k.DstV4 < f.DstNetMin || k.DstV4 > f.DstNetMax)))) return true;
            // A single required method (checked before paths, so a mismatch is NoMatch whatever the path).
            if (f.Method != null && k.Method != null && !string.Equals(f.Method, k.Method, StringComparison.Ordinal)) return true;
            return false;
        }

        public RuleOutcome MatchRule(CompiledRule rule, PreparedRequest q, out bool failedOnSource, out Criterion failed) =>
            MatchRule(rule, q, NetsProven.None, out failedOnSource, out failed);

        /// <param name="proven">A side whose <c>nets</c> are already known to contain the side's address (the rule index
        /// listed the rule under that address's interval), so the range search is skipped.</param>
        public RuleOutcome MatchRule(CompiledRule rule, PreparedRequest q, NetsProven proven, out bool failedOnSource, out Criterion failed)
        {
            failedOnSource = true;
            failed = MatchSide(rule, rule.Source, ref q.Source, proven == NetsProven.Source);
            if (failed != Criterion.None) return RuleOutcome.NoMatch;
            failedOnSource = false;
            failed = MatchSide(rule, rule.Destination, ref q.Destination, proven == NetsProven.Destination);
            if (failed != Criterion.None) return RuleOutcome.NoMatch;

            if (rule.HasHttp)
            {
                if (rule.Methods.Length > 0)
                {
                    if (q.Method == null)
                    {
                        if (!_behavior.NilHttpMatches && !rule.AnyMethod)
                        {
                            failed = Criterion.Method;
                            return RuleOutcome.NoMatch;
                        }
                    }
                    else if (!rule.AnyMethod && !ContainsOrdinal(rule.Methods, q.Method))
                    {
                        failed = Criterion.Method;
                        return RuleOutcome.NoMatch;
                    }
                }
                if (rule.Paths.Length > 0)
                {
                    if (!q.HasPath)
                    {
                        if (!_behavior.NilHttpMatches) return RuleOutcome.InvalidArgument;
                    }
                    else
                    {
                        if (!q.PathRooted) return RuleOutcome.InvalidArgument;
                        if (!MatchPaths(rule.Paths, q.PathForMatch))
                        {
                            failed = Criterion.Path;
                            return RuleOutcome.NoMatch;
                        }
                    }
                }
            }

            if (rule.HasProtocol && (rule.Protocol == 0 || rule.Protocol != q.Protocol))
            {
                failed = Criterion.Protocol;
                return RuleOutcome.NoMatch;
            }
            if (rule.HasNotProtocol && rule.NotProtocol != 0 && rule.NotProtocol == q.Protocol)
            {
                failed = Criterion.NotProtocol;
                return RuleOutcome.NoMatch;
            }
            return RuleOutcome.Match;
        }

        private static bool ContainsOrdinal(string[] values, string value)
        {
            for (int i = 0; i < values.Length; i++)
            {
                if (string.Equals(values[i], value, StringComparison.Ordinal)) return true;
            }
            return false;
        }

        private bool MatchPaths(CompiledPath[] paths, string? requestPath)
        {
            if (requestPath == null) return false;
            bool segmentAligned = _behavior.NormalizedPaths;
            for (int i = 0; i < paths.Length; i++)
            {
                var rulePath = paths[i].Value;
                if (rulePath == null) continue;
                if (paths[i].Exact)
                {
                    if (string.Equals(requestPath, rulePath, StringComparison.Ordinal)) return true;
                }
                else if (segmentAligned ? HttpPath.SegmentPrefixMatch(requestPath, rulePath) : requestPath.StartsWith(rulePath, StringComparison.Ordinal))
                {
                    return true;
                }
            }
            return false;
        }

        /// <summary>Source or destination criteria of a rule (spec 5.2 - 5.5). Returns the failing criterion or None.</summary>
        private Criterion MatchSide(CompiledRule rule, CompiledEntity e, ref SideData side, bool netsProven)
        {
            var peer = side.Peer;
            bool identityKnown = !peer.Nil;
            // Service accounts: skipped for plaintext (empty name) and malformed (nil) peers.
            if (e.HasServiceAccounts && identityKnown && peer.Name.Length > 0)
            {
                if (e.ServiceAccountNames.Length > 0 && !ContainsOrdinal(e.ServiceAccountNames, peer.Name)) return Criterion.ServiceAccount;
                if (e.ServiceAccountSelector != null && !e.ServiceAccountSelector.Root.Evaluate(peer.ServiceAccountLabels)) return Criterion.ServiceAccount;
            }
            // Namespace: skipped when the peer namespace is empty or the peer is nil.
            if (identityKnown && peer.Namespace.Length > 0)
            {
                if (e.NamespaceSelector != null)
                {
                    if (!e.NamespaceSelector.Root.Evaluate(peer.NamespaceLabels)) return Criterion.Namespace;
                }
                else if (e.RequiredNamespace != null && !string.Equals(e.RequiredNamespace, peer.Namespace, StringComparison.Ordinal))
                {
                    return Criterion.Namespace;
                }
            }
            // IP sets: the endpoint owning the IP must be in every positive set and in no negative set. A given workload owns
            // the side's address even when the caller did not spell the IP out.
            if (e.PositiveSet >= 0 && (side.Endpoint == null || !side.Endpoint.Membership[e.PositiveSet])) return Criterion.Selector;
            if (e.NegativeSet >= 0 && side.Endpoint != null && side.Endpoint.Membership[e.NegativeSet]) return Criterion.NotSelector;
            // Ports.
            if (e.Ports != null && !e.Ports.Contains(side.Port) && !(_behavior.IsClassic && NamedPortMatches(rule, e.Ports, side))) return Criterion.Ports;
            if (e.NotPorts != null && _behavior.HonoursNotNetsAndNotPorts && e.NotPorts.Contains(side.Port)) return Criterion.NotPorts;
            // Nets.
            if (e.Nets != null && !netsProven && (e.Nets.Invalid || !side.HasIp || !e.Nets.Contains(side.Ip))) return Criterion.Nets;
            if (e.NotNets != null && _behavior.HonoursNotNetsAndNotPorts && (e.NotNets.Invalid || (side.HasIp && e.NotNets.Contains(side.Ip)))) return Criterion.NotNets;
            return Criterion.None;
        }

        /// <summary>
        /// Classic (&lt;= v3.29) only: Felix's IP-port set for a named port holds <c>ip,proto:port</c> of every endpoint that
        /// matches the side's positive selector (checked before) and declares that port name. v3.30+ never matches (spec 9.1).
        /// </summary>
        private static bool NamedPortMatches(CompiledRule rule, PortSet ports, in SideData side)
        {
            var named = ports.Named;
            if (named.Length == 0 || side.Endpoint == null) return false;
            var declared = side.Endpoint.Workload.NamedPorts;
            for (int i = 0; i < named.Length; i++)
            {
                for (int j = 0; j < declared.Count; j++)
                {
                    var np = declared[j];
                    if (np.Port != side.Port || !string.Equals(np.Name, named[i], StringComparison.Ordinal)) continue;
                    if (rule.HasProtocol && rule.Protocol != ProtocolOfName(np.Protocol)) continue;
                    return true;
                }
            }
            return false;
        }


        /// <summary>A container port's protocol (TCP, UDP or SCTP) as a number; 0 for anything else.</summary>
        private static int ProtocolOfName(string name)
        {
            int n = IpProtocol.NumberOf(name);
            return n is IpProtocol.Tcp or IpProtocol.Udp or IpProtocol.Sctp ? n : 0;
        }
    }
}
