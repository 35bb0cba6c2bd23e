using System.Collections.Generic;
using System.Net;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>
    /// Answers "is this request allowed?" for a <see cref="PolicySet"/> the way Dikastes does (spec sections 2-5) for the
    /// chosen <see cref="CalicoBehavior"/>. It puts three parts together: the <see cref="PolicyCompiler"/> (once, into an
    /// immutable <see cref="CompiledPolicySet"/>), the <see cref="EndpointResolver"/> (requests to prepared requests, with
    /// its caches) and the evaluators (<see cref="IndexedEvaluator"/> for the fast path, <see cref="LinearEvaluator"/> for
    /// traces, classic releases and profiles). Thread-safe.
    /// </summary>
    public sealed class PolicyEngine
    {
        private readonly CompiledPolicySet _set;
        private readonly EndpointResolver _resolver;
        private readonly LinearEvaluator _linear;
        private readonly IndexedEvaluator _indexed;
        private readonly RuleIndex? _ingressIndex;
        private readonly RuleIndex? _egressIndex;

        private PolicyEngine(CompiledPolicySet set)
        {
            _set = set;
            _resolver = new EndpointResolver(set);
            var matcher = new RuleMatcher(set.Behavior);
            _linear = new LinearEvaluator(set.Behavior, matcher);
            _indexed = new IndexedEvaluator(matcher);
            _ingressIndex = set.IngressIndex;
            _egressIndex = set.EgressIndex;
            Behavior = set.Behavior;
        }

        public static PolicyEngine Compile(PolicySet set, CalicoBehavior? behavior = null, bool implicitNamespaces = true) =>
            new(PolicyCompiler.Compile(set, behavior ?? CalicoBehavior.Baseline, implicitNamespaces));

        /// <summary>When false, tiers are always walked rule by rule (tests compare both ways; the outcome must be the same).</summary>
        internal bool UseRuleIndex { get; set; } = true;

        public CalicoBehavior Behavior { get; }
        public PolicySet PolicySet => _set.Source;
        /// <summary>When true (default), a namespace or service account missing from the set is treated as existing with
        /// only its <c>projectcalico.org/name</c> label (a pod's namespace and SA always exist in a real cluster).</summary>
        public bool ImplicitNamespaces => _set.ImplicitNamespaces;

        /// <summary>Number of distinct selector IP sets referenced by rules.</summary>
        public int IpSetCount => _set.IpSets.Length;

        /// <summary>Endpoint labels as Felix computes them (spec section 3).</summary>
        public IReadOnlyDictionary<string, string> EndpointLabels(WorkloadInfo w) => _resolver.EndpointLabels(w);

        /// <summary>Resolves (and caches per workload) an endpoint: labels, IP-set memberships and the tiers that apply.</summary>
        public EndpointContext GetEndpoint(WorkloadInfo w) => _resolver.GetEndpoint(w);

        /// <summary>The loaded Pod that owns <paramref name="ip"/> (the first one read with that address) as a workload, or null.</summary>
        public WorkloadInfo? PodByIp(IPAddress? ip) => _resolver.PodByIp(ip);

        /// <summary>Resolves identities, endpoints, profiles and path forms once; the result can be evaluated many times.</summary>
        public PreparedRequest Prepare(AlpRequest r) => _resolver.Prepare(r);

        /// <summary>Prepares and evaluates in one call.</summary>
        public PolicyDecision Evaluate(AlpRequest request, List<TraceStep>? trace = null) => Evaluate(_resolver.Prepare(request), trace);

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
            if (q.SourcePrincipalMalformed && Behavior.MalformedPrincipalDenies)
            {
                trace?.Add(new TraceStep(TraceStepKind.Decision, null, null, -1, "deny", "malformed source principal (classic Dikastes rejects the request)"));
                return new PolicyDecision(Verdict.Deny, CheckStatus.PERMISSION_DENIED, DecisionReason.MalformedPrincipal, null, null, null, -1, null);
            }
            var key = new RequestKey(q);
            var index = ingress ? _ingressIndex : _egressIndex;
            if (trace == null && index != null && UseRuleIndex)
            {
                return _indexed.EvaluateTiers(q, local, index, in key) ?? _linear.EvaluateProfiles(q, ingress, in key, null);
            }
            return _linear.EvaluateTiers(q, local, ingress, in key, trace) ?? _linear.EvaluateProfiles(q, ingress, in key, trace);
        }
    }
}
