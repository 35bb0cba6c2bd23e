using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Model;
using System.Collections.Generic;
using System;
namespace CalicoAlp.Core.Results
{
    /// <summary>What Test-AlpRequest outputs: the decision, who took it, and (optionally) the trace of how.</summary>
    public sealed class RequestDecision
    {
        public RequestDecision(PolicyDecision decision, AlpRequest request, CalicoBehavior behavior, IReadOnlyList<TraceStep> trace)
            : this(decision, request, behavior)
        {
            _trace = trace;
        }

        private RequestDecision(PolicyDecision decision, AlpRequest request, CalicoBehavior behavior, Func<IReadOnlyList<TraceStep>> trace)
            : this(decision, request, behavior)
        {
            _traceFactory = trace;
        }

        /// <summary>
        /// Decides with the engine's fast evaluation; the trace (the same walk, step by step, which gives the same decision:
        /// see the engine tests) is worked out when <see cref="Trace"/> is first read. The result keeps the engine and the
        /// prepared request until then.
        /// </summary>
        public static RequestDecision WithDeferredTrace(PolicyEngine engine, AlpRequest request, string? context = null)
        {
            var prepared = engine.Prepare(request);
            return new RequestDecision(engine.Evaluate(prepared), request, engine.Behavior, () =>
            {
                var trace = new List<TraceStep>();
                engine.Evaluate(prepared, trace);
                return trace;
            })
            { Context = context };
        }

        private RequestDecision(PolicyDecision decision, AlpRequest request, CalicoBehavior behavior)
        {
            Decision = decision.Verdict;
            Status = decision.Status;
            Reason = decision.Reason;
            Tier = decision.Tier;
            Policy = decision.Policy;
            Profile = decision.Profile;
            RuleIndex = decision.RuleIndex >= 0 ? decision.RuleIndex : null;
            Action = decision.Action;
            Request = request;
            Direction = request.Direction;
            CalicoVersion = behavior.ToString();
        }

        private IReadOnlyList<TraceStep>? _trace;
        private Func<IReadOnlyList<TraceStep>>? _traceFactory;

        /// <summary>The kubeconfig context whose policies decided (cluster mode); null when they came from policy files.</summary>
        public string? Context { get; init; }
        public Verdict Decision { get; }
        public CheckStatus Status { get; }
        public DecisionReason Reason { get; }
        public string? Tier { get; }
        public string? Policy { get; }
        public string? Profile { get; }
        public int? RuleIndex { get; }
        public RuleAction? Action { get; }
        public TrafficDirection Direction { get; }
        public string CalicoVersion { get; }
        public AlpRequest Request { get; }
        /// <summary>Steps considered (tiers, policies, rules, profiles) and why each matched or not.</summary>
        public IReadOnlyList<TraceStep> Trace
        {
            get
            {
                if (_trace == null)
                {
                    _trace = _traceFactory!();
                    _traceFactory = null;
                }
                return _trace;
            }
        }

        /// <summary>One line: who decided.</summary>
        public string DecidedBy => Reason switch
        {
            DecisionReason.PolicyRule => $"tier {Tier} policy {Policy} {(Direction == TrafficDirection.Ingress ? "ingress" : "egress")}[{RuleIndex}] {Action}",
            DecisionReason.TierDefaultAction => $"tier {Tier}: end of tier (defaultAction Deny)",
            DecisionReason.ProfileRule => $"profile {Profile} {(Direction == TrafficDirection.Ingress ? "ingress" : "egress")}[{RuleIndex}] {Action}",
            DecisionReason.NoProfileMatched => "no profile rule matched",
            DecisionReason.NoProfiles => "no tier decided and there are no profiles",
            DecisionReason.NoEndpoint => "no local endpoint",
            DecisionReason.ClassicEmptyTier => $"classic: tier {Tier} has no policy for this direction",
            DecisionReason.MalformedPrincipal => "classic: malformed SPIFFE principal",
            DecisionReason.InvalidPath => $"INVALID_ARGUMENT at {(Policy != null ? "policy " + Policy : "profile " + Profile)} rule {RuleIndex}",
            _ => Reason.ToString(),
        };

        public override string ToString() => $"{Decision} ({Status}): {DecidedBy}";
    }
}
