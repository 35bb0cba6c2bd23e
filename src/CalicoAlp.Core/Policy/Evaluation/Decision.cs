using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Evaluation
{
    public enum Verdict
    {
        Allow,
        Deny,
    }

    /// <summary>The gRPC status Dikastes returns (Envoy denies on anything but OK).</summary>
    public enum CheckStatus
    {
        OK = 0,
        UNKNOWN = 2,
        INVALID_ARGUMENT = 3,
        PERMISSION_DENIED = 7,
        INTERNAL = 13,
        UNAVAILABLE = 14,
    }

    /// <summary>Why the decision was taken.</summary>
    public enum DecisionReason
    {
        /// <summary>A policy rule with action Allow or Deny matched.</summary>
        PolicyRule,
        /// <summary>No policy in the tier decided; the tier's default action (Deny) applied.</summary>
        TierDefaultAction,
        /// <summary>A profile rule matched (Allow; Deny or Pass deny).</summary>
        ProfileRule,
        /// <summary>Profiles were reached but none of their rules matched.</summary>
        NoProfileMatched,
        /// <summary>Tiers passed (or none applied) and the endpoint has no profiles.</summary>
        NoProfiles,
        /// <summary>No local endpoint to evaluate against.</summary>
        NoEndpoint,
        /// <summary>Classic (&lt;= v3.29): the first tier had no policy for this direction.</summary>
        ClassicEmptyTier,
        /// <summary>Classic (&lt;= v3.29): the SPIFFE principal was malformed.</summary>
        MalformedPrincipal,
        /// <summary>A rule with http.paths was reached and the request path is not usable (INVALID_ARGUMENT).</summary>
        InvalidPath,
    }

    public enum TrafficDirection
    {
        Ingress,
        Egress,
    }

    /// <summary>The result of one evaluation. A struct referencing compiled names only: producing it allocates nothing.</summary>
    public readonly struct PolicyDecision
    {
        internal PolicyDecision(Verdict verdict, CheckStatus status, DecisionReason reason, string? tier, string? policy, string? profile,
            int ruleIndex, RuleAction? action)
        {
            Verdict = verdict;
            Status = status;
            Reason = reason;
            Tier = tier;
            Policy = policy;
            Profile = profile;
            RuleIndex = ruleIndex;
            Action = action;
        }

        public Verdict Verdict { get; }
        public CheckStatus Status { get; }
        public DecisionReason Reason { get; }
        /// <summary>Deciding tier (null when a profile or no tier decided).</summary>
        public string? Tier { get; }
        /// <summary>Deciding policy (<c>namespace/name</c> for namespaced ones).</summary>
        public string? Policy { get; }
        public string? Profile { get; }
        /// <summary>0-based index of the deciding rule in its list, or -1.</summary>
        public int RuleIndex { get; }
        /// <summary>The deciding action (rule action, or the tier's default action).</summary>
        public RuleAction? Action { get; }

        public override string ToString() =>
            $"{Verdict} ({Status}) by {Reason}" + (Tier != null ? $" tier={Tier}" : "") + (Policy != null ? $" policy={Policy}" : "") +
            (Profile != null ? $" profile={Profile}" : "") + (RuleIndex >= 0 ? $" rule={RuleIndex}" : "");
    }

    public enum TraceStepKind
    {
        Tier,
        Policy,
        Rule,
        Profile,
        Decision,
    }

    /// <summary>One step of an evaluation trace: what was considered and why it matched or not.</summary>
    public sealed record TraceStep(TraceStepKind Kind, string? Tier, string? Policy, int RuleIndex, string Outcome, string Detail)
    {
        public override string ToString()
        {
            var where = Kind switch
            {
                TraceStepKind.Tier => $"tier {Tier}",
                TraceStepKind.Policy => $"tier {Tier} policy {Policy}",
                TraceStepKind.Rule => $"{(Tier != null ? "tier " + Tier + " " : "")}{(Policy != null ? "policy " + Policy : "")} rule {RuleIndex}",
                TraceStepKind.Profile => $"profile {Policy}",
                _ => "decision",
            };
            return $"{where}: {Outcome}" + (Detail.Length > 0 ? $" ({Detail})" : "");
        }
    }

    /// <summary>A workload (Calico endpoint): namespace, service account and pod labels.</summary>
    public sealed record WorkloadInfo(string Namespace, string ServiceAccount, IReadOnlyDictionary<string, string> Labels)
    {
        public string Principal => SpiffeIdentity.For(Namespace, ServiceAccount);

        /// <summary>Named container ports (only Calico &lt;= 3.29 matched rules' named ports against them, spec 9.1).</summary>
        public IReadOnlyList<NamedPort> NamedPorts { get; init; } = [];
    }

    /// <summary>A request to evaluate (the fields of an ext_authz CheckRequest Dikastes uses, plus the workloads owning the IPs).</summary>
    public sealed record AlpRequest
    {
        /// <summary>Source SPIFFE principal; "" = plaintext. For ingress this is the peer certificate URI.</summary>
        public string SourcePrincipal { get; init; } = "";
        /// <summary>Destination principal; null = derived from <see cref="DestinationWorkload"/> (or plaintext when none).</summary>
        public string? DestinationPrincipal { get; init; }
        public System.Net.IPAddress? SourceIP { get; init; }
        public int SourcePort { get; init; }
        /// <summary>The Calico workload owning the source IP, or null for an address outside the cluster.</summary>
        public WorkloadInfo? SourceWorkload { get; init; }
        public System.Net.IPAddress? DestinationIP { get; init; }
        public int DestinationPort { get; init; }
        public WorkloadInfo? DestinationWorkload { get; init; }
        /// <summary>Profiles of the local endpoint, in order; null = what Calico gives a Kubernetes pod: [kns.&lt;ns&gt;, ksa.&lt;ns&gt;.&lt;sa&gt;].</summary>
        public IReadOnlyList<string>? Profiles { get; init; }
        /// <summary>IP protocol number (6 = TCP).</summary>
        public int Protocol { get; init; } = 6;
        /// <summary>HTTP method; null with <see cref="Path"/> null = a non-HTTP TCP connection check.</summary>
        public string? Method { get; init; }
        public string? Path { get; init; }
        /// <summary>Ingress: judged by the destination's ingress policy (what Dikastes does). Egress: by the source's egress policy.</summary>
        public TrafficDirection Direction { get; init; } = TrafficDirection.Ingress;
    }
}
