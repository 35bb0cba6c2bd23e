using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>Which criterion made a rule fail (for traces; an enum so that matching allocates nothing).</summary>
    internal enum Criterion
    {
        None,
        ServiceAccount,
        Namespace,
        Selector,
        NotSelector,
        Ports,
        NotPorts,
        Nets,
        NotNets,
        Method,
        Path,
        Protocol,
        NotProtocol,
    }

    /// <summary>Numeric ports and ranges (inclusive) as parallel arrays; named ports are remembered but never match (spec 9.1).</summary>
    internal sealed class PortSet
    {
        private readonly int[] _min;
        private readonly int[] _max;

        private PortSet(int[] min, int[] max, string[] named)
        {
            _min = min;
            _max = max;
            Named = named;
        }

        public string[] Named { get; }

        public static PortSet? Compile(IReadOnlyList<PortSpec> ports)
        {
            if (ports.Count == 0) return null;
            var min = new List<int>();
            var max = new List<int>();
            var named = new List<string>();
            foreach (var p in ports)
            {
                if (p.IsNamed) named.Add(p.Name!);
                else
                {
                    min.Add(p.Min);
                    max.Add(p.Max);
                }
            }
            return new PortSet(min.ToArray(), max.ToArray(), named.ToArray());
        }

        /// <summary>Smallest and largest numeric port; (1, 0) when there is none (then <see cref="Contains"/> is always false).</summary>
        public (int Min, int Max) Envelope()
        {
            if (_min.Length == 0) return (1, 0);
            int lo = int.MaxValue, hi = int.MinValue;
            for (int i = 0; i < _min.Length; i++)
            {
                if (_min[i] < lo) lo = _min[i];
                if (_max[i] > hi) hi = _max[i];
            }
            return (lo, hi);
        }

        /// <summary>Number of numeric ranges.</summary>
        public int RangeCount => _min.Length;

        /// <summary>The i-th numeric range (inclusive).</summary>
        public (int Min, int Max) Range(int i) => (_min[i], _max[i]);

        public bool Contains(int port)
        {
            var min = _min;
            var max = _max;
            for (int i = 0; i < min.Length; i++)
            {
                if (port >= min[i] && port <= max[i]) return true;
            }
            return false;
        }
    }

    internal sealed class CompiledEntity
    {
        public bool HasServiceAccounts;
        public string[] ServiceAccountNames = [];
        public Selector? ServiceAccountSelector;
        /// <summary>namespaceSelector as written (plain evaluation on the peer namespace's labels).</summary>
        public Selector? NamespaceSelector;
        /// <summary>NetworkPolicy scoping: the peer namespace must equal this (null = no check).</summary>
        public string? RequiredNamespace;
        /// <summary>Index of the positive IP-set selector in the engine's set table, or -1.</summary>
        public int PositiveSet = -1;
        public int NegativeSet = -1;
        public NetSet? Nets;
        public NetSet? NotNets;
        public PortSet? Ports;
        public PortSet? NotPorts;
    }

    internal readonly struct CompiledPath
    {
        public CompiledPath(bool exact, string? value)
        {
            Exact = exact;
            Value = value;
        }

        public bool Exact { get; }
        /// <summary>Rule path as compared (normalised in the baseline); null = can never match.</summary>
        public string? Value { get; }
    }

    internal sealed class CompiledRule
    {
        public required RuleDef Def;
        public RuleAction Action;
        public int Index;
        public CompiledEntity Source = new();
        public CompiledEntity Destination = new();
        public bool HasProtocol;
        /// <summary>Protocol number; 0 = a name this release does not understand (never matches).</summary>
        public int Protocol;
        public bool HasNotProtocol;
        public int NotProtocol;
        public bool HasHttp;
        public bool AnyMethod;
        public string[] Methods = [];
        public CompiledPath[] Paths = [];
    }

    /// <summary>
    /// Cheap pre-checks of one rule, kept in a contiguous array beside the rules so that a walk over thousands of rules reads
    /// sequential memory instead of chasing rule, entity and net-set objects. Each check that fails proves that the full match
    /// (MatchRule) would return NoMatch: side criteria are checked before HTTP, and a method mismatch before paths, so a failed
    /// pre-check can never hide an INVALID_ARGUMENT or a match. Rules that pass all pre-checks get the full match.
    /// </summary>
    internal struct RuleFilter
    {
        public int SrcPositiveSet, SrcNegativeSet, DstPositiveSet, DstNegativeSet;
        /// <summary>Numeric port envelope; a port outside it is not in the rule's ports (int.Min/MaxValue = no check).</summary>
        public int SrcPortMin, SrcPortMax, DstPortMin, DstPortMax;
        /// <summary>IPv4 envelope of nets (min &gt; max: no IPv4 range at all).</summary>
        public uint SrcNetMin, SrcNetMax, DstNetMin, DstNetMax;
        /// <summary>0 = no nets; 1 = nets (no IP fails; IPv4 outside the envelope fails); 2 = nets always fail (invalid entry).</summary>
        public byte SrcNets, DstNets;
        /// <summary>The only method the rule accepts (null = no check); a request with another non-null method fails.</summary>
        public string? Method;
    }

    /// <summary>What the pre-checks read from a prepared request, gathered once per evaluation.</summary>
    internal readonly struct RequestKey
    {
        public RequestKey(PreparedRequest q)
        {
            SrcMembership = q.Source.Endpoint?.Membership;
            DstMembership = q.Destination.Endpoint?.Membership;
            SrcPort = q.Source.Port;
            DstPort = q.Destination.Port;
            SrcHasIp = q.Source.HasIp;
            DstHasIp = q.Destination.HasIp;
            SrcIsV6 = q.Source.Ip.IsV6;
            DstIsV6 = q.Destination.Ip.IsV6;
            SrcV4 = (uint)q.Source.Ip.Value;
            DstV4 = (uint)q.Destination.Ip.Value;
            Method = q.Method;
        }

        public readonly bool[]? SrcMembership, DstMembership;
        public readonly int SrcPort, DstPort;
        public readonly bool SrcHasIp, DstHasIp, SrcIsV6, DstIsV6;
        public readonly uint SrcV4, DstV4;
        public readonly string? Method;
    }

    internal sealed class CompiledPolicy
    {
        public required PolicyDef Def;
        public required string DisplayName;
        public required Selector AppliesTo;
        public CompiledRule[] Ingress = [];
        public CompiledRule[] Egress = [];
        public RuleFilter[] IngressFilters = [];
        public RuleFilter[] EgressFilters = [];
        public bool IngressType;
        public bool EgressType;
        public bool Staged;
        /// <summary>Position of the first ingress / egress rule in the direction's <see cref="RuleIndex"/>.</summary>
        public int IngressStart, EgressStart;
    }

    internal sealed class CompiledTier
    {
        public required string Name;
        /// <summary>Position in the engine's tier order.</summary>
        public int Id;
        public double? Order;
        public RuleAction DefaultAction;
        public CompiledPolicy[] Policies = [];
    }

    internal sealed class CompiledProfile
    {
        public required string Name;
        public CompiledRule[] Ingress = [];
        public CompiledRule[] Egress = [];
        public RuleFilter[] IngressFilters = [];
        public RuleFilter[] EgressFilters = [];
    }

    /// <summary>A tier as sent for one endpoint: the policies of that tier that select it, per direction.</summary>
    internal sealed class TierView
    {
        public required CompiledTier Tier;
        public CompiledPolicy[] Ingress = [];
        public CompiledPolicy[] Egress = [];
        /// <summary>At least one of the direction's policies is enforced (not a staged policy that this release ignores).</summary>
        public bool IngressEnforced, EgressEnforced;
    }

    /// <summary>A peer identity resolved from a principal (spec section 2).</summary>
    internal sealed class Peer
    {
        public static readonly Peer Plaintext = new() { Name = "", Namespace = "" };
        public static readonly Peer Malformed = new() { Nil = true, Name = "", Namespace = "" };

        /// <summary>Malformed principal: v3.30+ makes every SA and namespace check pass.</summary>
        public bool Nil;
        public required string Name;
        public required string Namespace;
        public IReadOnlyDictionary<string, string> ServiceAccountLabels = EmptyLabels.Instance;
        public IReadOnlyDictionary<string, string> NamespaceLabels = EmptyLabels.Instance;
        /// <summary>Rule-index candidate lists of this identity's service-account name, filled on first use (see <see cref="RuleIndex"/>).</summary>
        internal readonly int[]?[] IndexLists = new int[]?[RuleIndex.PeerSlots];
    }

    internal static class EmptyLabels
    {
        public static readonly IReadOnlyDictionary<string, string> Instance = new Dictionary<string, string>(StringComparer.Ordinal);
    }

    /// <summary>A Calico endpoint as seen by Felix: its endpoint labels, IP-set memberships and the tiers that apply to it.</summary>
    public sealed class EndpointContext
    {
        internal EndpointContext(WorkloadInfo workload, IReadOnlyDictionary<string, string> labels, bool[] membership, TierView[] tiers)
        {
            Workload = workload;
            Labels = labels;
            Membership = membership;
            Tiers = tiers;
        }

        public WorkloadInfo Workload { get; }
        /// <summary>Endpoint labels (pod labels + projectcalico.org/* + pcns.* + pcsa.*).</summary>
        public IReadOnlyDictionary<string, string> Labels { get; }
        internal bool[] Membership { get; }
        internal TierView[] Tiers { get; }
        /// <summary>Rule-index bitsets of this endpoint (the rules of the policies that apply, per direction), filled on first use.</summary>
        internal ulong[]?[] IndexBits { get; } = new ulong[]?[2];
        /// <summary>Rule-index candidate lists of this endpoint (IP-set criteria, per direction and side), filled on first use.</summary>
        internal int[]?[] IndexLists { get; } = new int[]?[RuleIndex.PeerSlots];
        /// <summary>The profiles Calico gives this Kubernetes endpoint (kns.&lt;ns&gt;, ksa.&lt;ns&gt;.&lt;sa&gt;), resolved on first use.</summary>
        internal CompiledProfile[]? DefaultProfiles;
        /// <summary>The peer identity of the workload (from its SPIFFE principal), resolved on first use.</summary>
        internal Peer? WorkloadPeer;
    }

    internal struct SideData
    {
        public bool HasIp;
        public IpValue Ip;
        public int Port;
        public Peer Peer;
        public EndpointContext? Endpoint;
    }

    /// <summary>A request with everything resolved once (identities, endpoints, IP-set memberships, path forms).
    /// Evaluating it allocates nothing when no trace is requested.</summary>
    public sealed class PreparedRequest
    {
        internal SideData Source;
        internal SideData Destination;
        internal EndpointContext? Local;
        internal CompiledProfile[] Profiles = [];
        internal int Protocol;
        internal string? Method;
        internal bool HasHttp;
        internal bool HasPath;
        internal bool PathRooted;
        /// <summary>The path as compared with rule paths; null = matches no path entry.</summary>
        internal string? PathForMatch;
        internal TrafficDirection Direction;
        internal bool SourcePrincipalMalformed;

        public required AlpRequest Request { get; init; }
    }
}
