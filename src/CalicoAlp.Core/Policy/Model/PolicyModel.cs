using System.Collections.Generic;

namespace CalicoAlp.Core.Policy.Model
{
    /// <summary>Where an object came from: file, 0-based document index, 1-based line (0 = unknown).</summary>
    public sealed record SourceLocation(string File, int Document, int Line)
    {
        public static readonly SourceLocation None = new("<memory>", 0, 0);
        public override string ToString() => Line > 0 ? $"{File}:{Line}" : File;
    }

    public enum PolicyKind
    {
        GlobalNetworkPolicy,
        NetworkPolicy,
        StagedGlobalNetworkPolicy,
        StagedNetworkPolicy,
        /// <summary>A Kubernetes networking.k8s.io/v1 NetworkPolicy, converted as Calico does (namespaced, tier default, order 1000).</summary>
        KubernetesNetworkPolicy,
        /// <summary>projectcalico.org/v3 StagedKubernetesNetworkPolicy (a Kubernetes policy spec, staged: not enforced in the baseline).</summary>
        StagedKubernetesNetworkPolicy,
    }

    /// <summary>What promoting a staged policy does (spec.stagedAction): Set creates or replaces the enforced policy of the
    /// same name, Delete removes it.</summary>
    public enum StagedAction
    {
        Set,
        Delete,
    }

    public enum RuleAction
    {
        Allow,
        Deny,
        Pass,
        Log,
        /// <summary>An action string Calico does not know (v3.30+ answers INVALID_ARGUMENT when it is reached).</summary>
        Unknown,
    }

    public enum PolicyType
    {
        Ingress,
        Egress,
    }

    /// <summary>A protocol as written in a rule: a name (lower-cased) or a number.</summary>
    public sealed record ProtocolSpec(string? Name, int? Number)
    {
        public override string ToString() => Name ?? Number?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }

    /// <summary>A port, a range <c>a:b</c> (inclusive) or a named port.</summary>
    public sealed record PortSpec(int Min, int Max, string? Name)
    {
        public bool IsNamed => Name != null;
        public override string ToString() => Name ?? (Min == Max ? Min.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{Min}:{Max}");
    }

    public sealed record ServiceAccountMatchDef(IReadOnlyList<string> Names, string? Selector);

    public sealed record EntityRuleDef
    {
        public IReadOnlyList<string> Nets { get; init; } = [];
        public IReadOnlyList<string> NotNets { get; init; } = [];
        public string? Selector { get; init; }
        public string? NotSelector { get; init; }
        public string? NamespaceSelector { get; init; }
        public IReadOnlyList<PortSpec> Ports { get; init; } = [];
        public IReadOnlyList<PortSpec> NotPorts { get; init; } = [];
        public ServiceAccountMatchDef? ServiceAccounts { get; init; }

        public static readonly EntityRuleDef Empty = new();
    }

    public sealed record HttpPathDef(string? Exact, string? Prefix);

    public sealed record HttpMatchDef(IReadOnlyList<string> Methods, IReadOnlyList<HttpPathDef> Paths);

    public sealed record RuleDef
    {
        public RuleAction Action { get; init; }
        /// <summary>The action as written (for messages).</summary>
        public string ActionText { get; init; } = "Allow";
        public ProtocolSpec? Protocol { get; init; }
        public ProtocolSpec? NotProtocol { get; init; }
        public EntityRuleDef Source { get; init; } = EntityRuleDef.Empty;
        public EntityRuleDef Destination { get; init; } = EntityRuleDef.Empty;
        public HttpMatchDef? Http { get; init; }
    }

    public sealed record TierDef(string Name, double? Order, RuleAction DefaultAction, SourceLocation Location)
    {
        public const string DefaultTierName = "default";
    }

    public sealed record PolicyDef
    {
        public required string Name { get; init; }
        /// <summary>Namespace for namespaced kinds; null for global ones.</summary>
        public string? Namespace { get; init; }
        public PolicyKind Kind { get; init; }
        public string Tier { get; init; } = TierDef.DefaultTierName;
        public double? Order { get; init; }
        public string Selector { get; init; } = "";
        public string NamespaceSelector { get; init; } = "";
        public string ServiceAccountSelector { get; init; } = "";
        public IReadOnlyList<PolicyType> Types { get; init; } = [];
        public IReadOnlyList<RuleDef> Ingress { get; init; } = [];
        public IReadOnlyList<RuleDef> Egress { get; init; } = [];
        public SourceLocation Location { get; init; } = SourceLocation.None;
        /// <summary>Staged kinds: spec.stagedAction (default Set).</summary>
        public StagedAction StagedAction { get; init; }

        public bool IsStaged => Kind == PolicyKind.StagedGlobalNetworkPolicy || Kind == PolicyKind.StagedNetworkPolicy ||
                                Kind == PolicyKind.StagedKubernetesNetworkPolicy;
        public bool IsNamespaced => Namespace != null;

        /// <summary>Kind as Felix reports it for ordering ties (Kubernetes policies are Calico NetworkPolicies).</summary>
        public string KindName => Kind == PolicyKind.KubernetesNetworkPolicy ? "NetworkPolicy" : Kind.ToString();

        /// <summary>Display name: <c>namespace/name</c> for namespaced policies.</summary>
        public string DisplayName => Namespace != null ? Namespace + "/" + Name : Name;

        /// <summary>The types as Calico defaults them: explicit types, or derived from which rule lists are non-empty.</summary>
        public IReadOnlyList<PolicyType> EffectiveTypes
        {
            get
            {
                if (Types.Count > 0) return Types;
                if (Egress.Count > 0 && Ingress.Count > 0) return [PolicyType.Ingress, PolicyType.Egress];
                if (Egress.Count > 0) return [PolicyType.Egress];
                return [PolicyType.Ingress];
            }
        }
    }

    public sealed record ProfileDef(string Name, IReadOnlyList<RuleDef> Ingress, IReadOnlyList<RuleDef> Egress, SourceLocation Location);

    public sealed record NamespaceDef(string Name, IReadOnlyDictionary<string, string> Labels, SourceLocation Location);

    public sealed record ServiceAccountDef(string Namespace, string Name, IReadOnlyDictionary<string, string> Labels, SourceLocation Location);

    /// <summary>A named container port a workload declares (protocol lower-case: tcp, udp, sctp).</summary>
    public sealed record NamedPort(string Name, string Protocol, int Port);

    public sealed record PodDef(string Namespace, string Name, string ServiceAccount, IReadOnlyDictionary<string, string> Labels,
        IReadOnlyList<string> IPs, SourceLocation Location)
    {
        public IReadOnlyList<NamedPort> NamedPorts { get; init; } = [];
    }

    /// <summary>Everything read from policy files: immutable input of <see cref="Evaluation.PolicyEngine"/>.</summary>
    public sealed record PolicySet
    {
        public IReadOnlyList<TierDef> Tiers { get; init; } = [];
        public IReadOnlyList<PolicyDef> Policies { get; init; } = [];
        public IReadOnlyList<ProfileDef> Profiles { get; init; } = [];
        public IReadOnlyList<NamespaceDef> Namespaces { get; init; } = [];
        public IReadOnlyList<ServiceAccountDef> ServiceAccounts { get; init; } = [];
        public IReadOnlyList<PodDef> Pods { get; init; } = [];

        public static readonly PolicySet Empty = new();

        public PolicySet Merge(PolicySet other) => new()
        {
            Tiers = [.. Tiers, .. other.Tiers],
            Policies = [.. Policies, .. other.Policies],
            Profiles = [.. Profiles, .. other.Profiles],
            Namespaces = [.. Namespaces, .. other.Namespaces],
            ServiceAccounts = [.. ServiceAccounts, .. other.ServiceAccounts],
            Pods = [.. Pods, .. other.Pods],
        };
    }
}
