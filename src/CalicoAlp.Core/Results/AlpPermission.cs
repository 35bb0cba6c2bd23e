using System.Collections.Generic;
using CalicoAlp.Core.Security;

namespace CalicoAlp.Core.Results
{
    /// <summary>One Kubernetes RBAC rule a cmdlet needs in one mode (Get-AlpPermission).</summary>
    public sealed class AlpPermission
    {
        public string Command { get; init; } = "";
        /// <summary>The parameter set or switch the rule belongs to (Default, Live, Offline, Restart, ...).</summary>
        public string Mode { get; init; } = "";
        public string ApiGroup { get; init; } = "";
        public string Resource { get; init; } = "";
        public IReadOnlyList<string> Verbs { get; init; } = new List<string>();
        public IReadOnlyList<string> ResourceNames { get; init; } = new List<string>();
        /// <summary>The namespaces (null: cluster-scoped or all namespaces); "&lt;namespaces named&gt;" stands for the command's namespaces.</summary>
        public IReadOnlyList<string>? Namespaces { get; init; }
        public PermissionNeed Need { get; init; }
        /// <summary>The Istio releases that need it (null: all).</summary>
        public string? Istio { get; init; }
        /// <summary>The situation that needs it (null: always).</summary>
        public string? When { get; init; }
        public string Reason { get; init; } = "";

        /// <summary>kubectl's resource name with its group, e.g. felixconfigurations.crd.projectcalico.org.</summary>
        public string FullResource => ApiGroup.Length == 0 ? Resource : $"{Resource}.{ApiGroup}";
        public string VerbList => string.Join(",", Verbs);
        public string Scope => Namespaces == null ? "cluster-wide" : string.Join(",", Namespaces);

        public static AlpPermission From(CmdletPermissionSet set, PermissionRule rule) => new()
        {
            Command = set.Command,
            Mode = set.Mode,
            ApiGroup = rule.ApiGroup,
            Resource = rule.Resource,
            Verbs = rule.Verbs,
            ResourceNames = rule.ResourceNames,
            Namespaces = rule.Namespaces,
            Need = rule.Need,
            Istio = rule.Istio,
            When = rule.When,
            Reason = rule.Reason,
        };

        public PermissionRule ToRule() => new(ApiGroup, Resource, Verbs, Namespaces, Reason)
        {
            ResourceNames = ResourceNames,
            Need = Need,
            Istio = Istio,
            When = When,
        };
    }
}
