using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Evaluation
{
    public sealed partial class PolicyEngine
    {
        private enum RuleOutcome
        {
            NoMatch,
            Match,
            InvalidArgument,
        }

        private enum PolicyOutcome
        {
            NoMatch,
            Allow,
            Deny,
            Pass,
            InvalidArgument,
        }

        /// <summary>
        /// Evaluates a prepared request (spec section 4). Allocates nothing unless <paramref name="trace"/> is given.
        /// </summary>
        public PolicyDecision Evaluate(PreparedRequest q, List<TraceStep>? trace = null)
        {
            var local = q.Local;
            bool ingress = q.Direction == TrafficDirection.Ingress;
            if (local == null)
            {
                trace?.Add(new TraceStep(TraceStepKind.Decision, null, null, -1, "no endpoint",
                    ingress ? "the destination is not a Calico workload" : "the source is not a Calico workload"));
                return new PolicyDecision(Verdict.Deny, Behavior.NoEndpointIsInternal ? CheckStatus.INTERNAL : CheckStatus.PERMISSION_DENIED,
                    DecisionReason.NoEndpoint, null, null, null, -1, null);
            }
            if (Behavior.MalformedPrincipalDenies && q.SourcePrincipalMalformed)
            {
                trace?.Add(new TraceStep(TraceStepKind.Decision, null, null, -1, "deny", "malformed source principal (classic Dikastes rejects the request)"));
                return new PolicyDecision(Verdict.Deny, CheckStatus.PERMISSION_DENIED, DecisionReason.MalformedPrincipal, null, null, null, -1, null);
            }

            var key = new RequestKey(q);
            var index = ingress ? _ingressIndex : _egressIndex;
            if (trace == null && index != null && UseRuleIndex)
            {
                return EvaluateTiersIndexed(q, local, index, in key) ?? EvaluateProfiles(q, ingress, in key, null);
            }
            var tiers = local.Tiers;
            if (trace != null) TraceEndpoint(trace, local, ingress);
            int tierCount = Behavior.IsClassic ? Math.Min(1, tiers.Length) : tiers.Length;
            for (int t = 0; t < tierCount; t++)
            {
                var view = tiers[t];
                var policies = ingress ? view.Ingress : view.Egress;
                var tierName = view.Tier.Name;
                if (Behavior.IsClassic && policies.Length == 0)
                {
                    trace?.Add(new TraceStep(TraceStepKind.Tier, tierName, null, -1, "deny", "classic: the first tier has no policy for this direction"));
                    return new PolicyDecision(Verdict.Deny, CheckStatus.PERMISSION_DENIED, DecisionReason.ClassicEmptyTier, tierName, null, null, -1, null);
                }
                bool enforcedSeen = false;
                bool passed = false;
                for (int i = 0; i < policies.Length; i++)
                {
                    var policy = policies[i];
                    if (policy.Staged && !Behavior.StagedEnforced)
                    {
                        trace?.Add(new TraceStep(TraceStepKind.Policy, tierName, policy.DisplayName, -1, "skipped", "staged policies are not enforced"));
                        continue;
                    }
                    if (!enforcedSeen)
                    {
                        enforcedSeen = true;
                        trace?.Add(new TraceStep(TraceStepKind.Tier, tierName, null, -1, "evaluating",
                            $"order {(view.Tier.Order?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none")}, default action {view.Tier.DefaultAction}"));
                    }
                    var rules = ingress ? policy.Ingress : policy.Egress;
                    var filters = ingress ? policy.IngressFilters : policy.EgressFilters;
                    var outcome = CheckRules(rules, filters, in key, q, tierName, policy, trace, out int ruleIndex, out var action);
                    switch (outcome)
                    {
                        case PolicyOutcome.Allow:
                            return new PolicyDecision(Verdict.Allow, CheckStatus.OK, DecisionReason.PolicyRule, tierName, policy.DisplayName, null, ruleIndex, action);
                        case PolicyOutcome.Deny:
                            return new PolicyDecision(Verdict.Deny, CheckStatus.PERMISSION_DENIED, DecisionReason.PolicyRule, tierName, policy.DisplayName, null, ruleIndex, action);
                        case PolicyOutcome.InvalidArgument:
                            return new PolicyDecision(Verdict.Deny, CheckStatus.INVALID_ARGUMENT, DecisionReason.InvalidPath, tierName, policy.DisplayName, null, ruleIndex, action);
                        case PolicyOutcome.Pass:
                            passed = true;
                            break;
                        default:
                            trace?.Add(new TraceStep(TraceStepKind.Policy, tierName, policy.DisplayName, -1, "no match", "no rule matched; next policy"));
                            continue;
                    }
                    break;
                }
                if (!enforcedSeen)
                {
                    trace?.Add(new TraceStep(TraceStepKind.Tier, tierName, null, -1, "skipped", "no enforced policy for this direction"));
                    continue;
                }
                if (passed)
                {
                    trace?.Add(new TraceStep(TraceStepKind.Tier, tierName, null, -1, "pass", "a Pass rule sends the request to the next tier"));
                    continue;
                }
                if (!Behavior.IsClassic && view.Tier.DefaultAction == RuleAction.Pass)
                {
                    trace?.Add(new TraceStep(TraceStepKind.Tier, tierName, null, -1, "pass", "end of tier: defaultAction Pass"));
                    continue;
                }
                trace?.Add(new TraceStep(TraceStepKind.Tier, tierName, null, -1, "deny", "end of tier: defaultAction Deny"));
                return new PolicyDecision(Verdict.Deny, CheckStatus.PERMISSION_DENIED, DecisionReason.TierDefaultAction, tierName, null, null, -1, RuleAction.Deny);
            }
            return EvaluateProfiles(q, ingress, in key, trace);
        }

        /// <summary>No tier decided: the endpoint's profiles, in order (spec section 4).</summary>
        private PolicyDecision EvaluateProfiles(PreparedRequest q, bool ingress, in RequestKey key, List<TraceStep>? trace)
        {
            var profiles = q.Profiles;
            if (profiles.Length == 0)
            {
                trace?.Add(new TraceStep(TraceStepKind.Decision, null, null, -1, "deny", "no tier decided and the endpoint has no profiles"));
                return new PolicyDecision(Verdict.Deny, CheckStatus.PERMISSION_DENIED, DecisionReason.NoProfiles, null, null, null, -1, null);
            }
            for (int i = 0; i < profiles.Length; i++)
            {
                var profile = profiles[i];
                var rules = ingress ? profile.Ingress : profile.Egress;
                var filters = ingress ? profile.IngressFilters : profile.EgressFilters;
                var outcome = CheckRules(rules, filters, in key, q, null, null, trace, out int ruleIndex, out var action, profile.Name);
                switch (outcome)
                {
                    case PolicyOutcome.Allow:
                        return new PolicyDecision(Verdict.Allow, CheckStatus.OK, DecisionReason.ProfileRule, null, null, profile.Name, ruleIndex, action);
                    case PolicyOutcome.Deny:
                    case PolicyOutcome.Pass:
                        return new PolicyDecision(Verdict.Deny, CheckStatus.PERMISSION_DENIED, DecisionReason.ProfileRule, null, null, profile.Name, ruleIndex, action);
                    case PolicyOutcome.InvalidArgument:
                        return new PolicyDecision(Verdict.Deny, CheckStatus.INVALID_ARGUMENT, DecisionReason.InvalidPath, null, null, profile.Name, ruleIndex, action);
                    default:
                        trace?.Add(new TraceStep(TraceStepKind.Profile, null, profile.Name, -1, "no match", "no rule matched; next profile"));
                        break;
                }
            }
            trace?.Add(new TraceStep(TraceStepKind.Decision, null, null, -1, "deny", "no profile rule matched"));
            return new PolicyDecision(Verdict.Deny, CheckStatus.PERMISSION_DENIED, DecisionReason.NoProfileMatched, null, null, null, -1, null);
        }

        private void TraceEndpoint(List<TraceStep> trace, EndpointContext local, bool ingress)
        {
            int count = 0;
            foreach (var view in local.Tiers) count += ingress ? view.Ingress.Length : view.Egress.Length;
            var w = local.Workload;
            trace.Add(new TraceStep(TraceStepKind.Decision, null, null, -1, "endpoint",
                $"{(ingress ? "ingress to" : "egress from")} {w.Namespace}/{w.ServiceAccount} ({Behavior}): {count} {(ingress ? "ingress" : "egress")} " +
                $"policies in {local.Tiers.Length} tiers select it; policies that do not select it are not listed"));
        }

        private PolicyOutcome CheckRules(CompiledRule[] rules, RuleFilter[] filters, in RequestKey key, PreparedRequest q, string? tierName,
            CompiledPolicy? policy, List<TraceStep>? trace, out int ruleIndex, out RuleAction? action, string? profileName = null)
        {
            // Without a trace, rules whose pre-checks fail are skipped without the full match (the outcome is NoMatch either way;
            // with a trace the full match runs so that the failing criterion can be described).
            bool prefilter = trace == null && filters.Length == rules.Length;
            for (int i = 0; i < rules.Length; i++)
            {
                if (prefilter && Rejects(in filters[i], in key)) continue;
                var rule = rules[i];
                var m = MatchRule(rule, q, out var failedSide, out var failed);
                if (m == RuleOutcome.InvalidArgument)
                {
                    if (trace != null) AddRuleStep(trace, tierName, policy, profileName, i, "INVALID_ARGUMENT",
                        q.HasPath ? $"rule has http.paths and the request path '{q.Request.Path}' does not start with '/'"
                                  : "classic: rule has http.paths and the request has no HTTP attributes");
                    ruleIndex = i;
                    action = rule.Action;
                    return PolicyOutcome.InvalidArgument;
                }
                if (m == RuleOutcome.NoMatch)
                {
                    if (trace != null) AddRuleStep(trace, tierName, policy, profileName, i, "no match", Describe(rule, failedSide, failed, q));
                    continue;
                }
                switch (rule.Action)
                {
                    case RuleAction.Log:
                        if (trace != null) AddRuleStep(trace, tierName, policy, profileName, i, "log", "matched a Log rule; scanning continues");
                        continue;
                    case RuleAction.Allow:
                        if (trace != null) AddRuleStep(trace, tierName, policy, profileName, i, "allow", "all criteria matched");
                        ruleIndex = i;
                        action = RuleAction.Allow;
                        return PolicyOutcome.Allow;
                    case RuleAction.Deny:
                        if (trace != null) AddRuleStep(trace, tierName, policy, profileName, i, "deny", "all criteria matched");
                        ruleIndex = i;
                        action = RuleAction.Deny;
                        return PolicyOutcome.Deny;
                    case RuleAction.Pass:
                        if (trace != null) AddRuleStep(trace, tierName, policy, profileName, i, "pass", "all criteria matched");
                        ruleIndex = i;
                        action = RuleAction.Pass;
                        return PolicyOutcome.Pass;
                    default:
                        if (trace != null) AddRuleStep(trace, tierName, policy, profileName, i, "INVALID_ARGUMENT", $"unknown action '{rule.Def.ActionText}'");
                        ruleIndex = i;
                        action = rule.Action;
                        return PolicyOutcome.InvalidArgument;
                }
            }
            ruleIndex = -1;
            action = null;
            return PolicyOutcome.NoMatch;
        }

        /// <summary>True when a pre-check proves that the rule does not match (see <see cref="RuleFilter"/>).</summary>
        private static bool Rejects(in RuleFilter f, in RequestKey k)
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

        private static void AddRuleStep(List<TraceStep> trace, string? tier, CompiledPolicy? policy, string? profile, int index, string outcome, string detail) =>
            trace.Add(new TraceStep(TraceStepKind.Rule, tier, policy?.DisplayName ?? (profile != null ? "profile " + profile : null), index, outcome, detail));

        private RuleOutcome MatchRule(CompiledRule rule, PreparedRequest q, out bool failedOnSource, out Criterion failed) =>
            MatchRule(rule, q, NetsProven.None, out failedOnSource, out failed);

        /// <param name="proven">A side whose <c>nets</c> are already known to contain the side's address (the rule index
        /// listed the rule under that address's interval), so the range search is skipped.</param>
        private RuleOutcome MatchRule(CompiledRule rule, PreparedRequest q, NetsProven proven, out bool failedOnSource, out Criterion failed)
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
                        if (!Behavior.NilHttpMatches && !rule.AnyMethod)
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
                        if (!Behavior.NilHttpMatches) return RuleOutcome.InvalidArgument;
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
            bool segmentAligned = Behavior.NormalizedPaths;
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
            if (e.Ports != null && !e.Ports.Contains(side.Port) && !(Behavior.IsClassic && NamedPortMatches(rule, e.Ports, side))) return Criterion.Ports;
            if (e.NotPorts != null && Behavior.HonoursNotNetsAndNotPorts && e.NotPorts.Contains(side.Port)) return Criterion.NotPorts;
            // Nets.
            if (e.Nets != null && !netsProven && (e.Nets.Invalid || !side.HasIp || !e.Nets.Contains(side.Ip))) return Criterion.Nets;
            if (e.NotNets != null && Behavior.HonoursNotNetsAndNotPorts && (e.NotNets.Invalid || (side.HasIp && e.NotNets.Contains(side.Ip)))) return Criterion.NotNets;
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

        private static int ProtocolOfName(string name) => name switch { "tcp" => 6, "udp" => 17, "sctp" => 132, _ => 0 };

        private static string Describe(CompiledRule rule, bool sourceSide, Criterion c, PreparedRequest q)
        {
            string side = sourceSide ? "source" : "destination";
            var r = q.Request;
            var def = sourceSide ? rule.Def.Source : rule.Def.Destination;
            switch (c)
            {
                case Criterion.ServiceAccount:
                    return $"{side}.serviceAccounts does not match service account '{(sourceSide ? q.Source.Peer.Name : q.Destination.Peer.Name)}'";
                case Criterion.Namespace:
                    return def.NamespaceSelector != null
                        ? $"{side}.namespaceSelector '{def.NamespaceSelector}' does not match namespace '{(sourceSide ? q.Source.Peer.Namespace : q.Destination.Peer.Namespace)}'"
                        : $"{side} is limited to the policy's namespace; peer namespace is '{(sourceSide ? q.Source.Peer.Namespace : q.Destination.Peer.Namespace)}'";
                case Criterion.Selector:
                    return $"the {side} workload is not in the IP set of {side} selector/serviceAccounts/namespaceSelector" +
                           ((sourceSide ? q.Source.Endpoint : q.Destination.Endpoint) == null ? " (not a Calico workload)" : "");
                case Criterion.NotSelector:
                    return $"the {side} workload matches {side}.notSelector '{def.NotSelector}'";
                case Criterion.Ports:
                    return $"{side} port {(sourceSide ? r.SourcePort : r.DestinationPort)} not in {side}.ports [{string.Join(", ", def.Ports)}]";
                case Criterion.NotPorts:
                    return $"{side} port {(sourceSide ? r.SourcePort : r.DestinationPort)} is in {side}.notPorts [{string.Join(", ", def.NotPorts)}]";
                case Criterion.Nets:
                    return $"{side} IP {(sourceSide ? r.SourceIP : r.DestinationIP)?.ToString() ?? "(none)"} not in {side}.nets [{string.Join(", ", def.Nets)}]";
                case Criterion.NotNets:
                    return $"{side} IP {(sourceSide ? r.SourceIP : r.DestinationIP)?.ToString() ?? "(none)"} is in {side}.notNets [{string.Join(", ", def.NotNets)}]";
                case Criterion.Method:
                    return q.Method == null ? "classic: no HTTP method and the rule lists methods"
                        : $"method '{q.Method}' not in http.methods [{string.Join(", ", rule.Methods)}]";
                case Criterion.Path:
                    return q.PathForMatch == null ? $"path '{r.Path}' is rejected by normalisation"
                        : $"path '{q.PathForMatch}' does not match http.paths";
                case Criterion.Protocol:
                    return $"protocol {q.Protocol} does not match protocol '{rule.Def.Protocol}'";
                case Criterion.NotProtocol:
                    return $"protocol {q.Protocol} is excluded by notProtocol '{rule.Def.NotProtocol}'";
                default:
                    return "";
            }
        }
    }
}
