using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>
    /// Evaluates tiers and profiles rule by rule in Calico's order (spec section 4), optionally writing a trace of every
    /// tier, policy and rule considered and why it matched or not. Used for traces, for classic releases and for the
    /// profiles; without a trace, v3.30+ tiers go through the <see cref="IndexedEvaluator"/>, which gives the same decision.
    /// </summary>
    internal sealed class LinearEvaluator
    {
        private readonly CalicoBehavior _behavior;
        private readonly RuleMatcher _matcher;

        public LinearEvaluator(CalicoBehavior behavior, RuleMatcher matcher)
        {
            _behavior = behavior;
            _matcher = matcher;
        }

        /// <summary>The endpoint's tiers, in order; null when no tier decided (the profiles come next).</summary>
        public PolicyDecision? EvaluateTiers(PreparedRequest q, EndpointContext local, bool ingress, in RequestKey key, List<TraceStep>? trace)
        {
            var tiers = local.Tiers;
            if (trace != null) TraceEndpoint(trace, local, ingress);
            int tierCount = _behavior.IsClassic ? Math.Min(1, tiers.Length) : tiers.Length;
            for (int t = 0; t < tierCount; t++)
            {
                var view = tiers[t];
                var policies = ingress ? view.Ingress : view.Egress;
                var tierName = view.Tier.Name;
                if (_behavior.IsClassic && policies.Length == 0)
                {
                    trace?.Add(new TraceStep(TraceStepKind.Tier, tierName, null, -1, "deny", "classic: the first tier has no policy for this direction"));
                    return new PolicyDecision(Verdict.Deny, CheckStatus.PERMISSION_DENIED, DecisionReason.ClassicEmptyTier, tierName, null, null, -1, null);
                }
                bool enforcedSeen = false;
                bool passed = false;
                for (int i = 0; i < policies.Length; i++)
                {
                    var policy = policies[i];
                    if (policy.Staged && !_behavior.StagedEnforced)
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
                if (!_behavior.IsClassic && view.Tier.DefaultAction == RuleAction.Pass)
                {
                    trace?.Add(new TraceStep(TraceStepKind.Tier, tierName, null, -1, "pass", "end of tier: defaultAction Pass"));
                    continue;
                }
                trace?.Add(new TraceStep(TraceStepKind.Tier, tierName, null, -1, "deny", "end of tier: defaultAction Deny"));
                return new PolicyDecision(Verdict.Deny, CheckStatus.PERMISSION_DENIED, DecisionReason.TierDefaultAction, tierName, null, null, -1, RuleAction.Deny);
            }
            return null;
        }

        private enum PolicyOutcome
        {
            NoMatch,
            Allow,
            Deny,
            Pass,
            InvalidArgument,
        }

        /// <summary>No tier decided: the endpoint's profiles, in order (spec section 4).</summary>
        public PolicyDecision EvaluateProfiles(PreparedRequest q, bool ingress, in RequestKey key, List<TraceStep>? trace)
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
                $"{(ingress ? "ingress to" : "egress from")} {w.Namespace}/{w.ServiceAccount} ({_behavior}): {count} {(ingress ? "ingress" : "egress")} " +
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
                if (prefilter && RuleMatcher.Rejects(in filters[i], in key)) continue;
                var rule = rules[i];
                var m = _matcher.MatchRule(rule, q, out var failedSide, out var failed);
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

        private static void AddRuleStep(List<TraceStep> trace, string? tier, CompiledPolicy? policy, string? profile, int index, string outcome, string detail) =>
            trace.Add(new TraceStep(TraceStepKind.Rule, tier, policy?.DisplayName ?? (profile != null ? "profile " + profile : null), index, outcome, detail));

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
