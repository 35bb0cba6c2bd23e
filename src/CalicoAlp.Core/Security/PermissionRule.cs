using System;
using System.Collections.Generic;
using System.Linq;

namespace CalicoAlp.Core.Security
{
    /// <summary>
    /// One Kubernetes RBAC rule a cmdlet needs: API group, resource, verbs, optionally resource names, and where
    /// (<see cref="Namespaces"/>: null = cluster-scoped resource or all namespaces; else the namespaces, where
    /// <see cref="TargetNamespaces"/> stands for the namespaces the command is given). Why it is needed is in <see cref="Reason"/>.
    /// </summary>
    public sealed record PermissionRule(string ApiGroup, string Resource, IReadOnlyList<string> Verbs, IReadOnlyList<string>? Namespaces, string Reason)
    {
        /// <summary>Placeholder namespace: each namespace named on the command line (Add-/Remove-AlpNamespace).</summary>
        public const string TargetNamespaces = "<namespaces named>";

        public IReadOnlyList<string> ResourceNames { get; init; } = Array.Empty<string>();
        public PermissionNeed Need { get; init; } = PermissionNeed.Required;
        /// <summary>The situation in which the rule is needed (null: always), e.g. "with -Force"; the RBAC tests cover the unconditional rules.</summary>
        public string? When { get; init; }
        /// <summary>The Istio releases for which the rule is needed (e.g. "1.0-1.4", "1.5+"); null: all.</summary>
        public string? Istio { get; init; }

        /// <summary>kubectl's name of the resource, e.g. <c>felixconfigurations.crd.projectcalico.org</c>.</summary>
        public string FullResource => ApiGroup.Length == 0 ? Resource : $"{Resource}.{ApiGroup}";

        /// <summary>"cluster" or the namespaces, for messages and docs.</summary>
        public string Scope => Namespaces == null ? "cluster-wide" : "in " + string.Join(", ", Namespaces.Select(n => n == TargetNamespaces ? "each namespace named" : n));

        /// <summary>Whether an Istio release (major, minor) is in <see cref="Istio"/>.</summary>
        public bool AppliesToIstio(int major, int minor)
        {
            if (Istio == null) return true;
            var v = (major, minor);
            if (Istio.EndsWith('+')) return v.CompareTo(Parse(Istio[..^1])) >= 0;
            var dash = Istio.IndexOf('-', StringComparison.Ordinal);
            return v.CompareTo(Parse(Istio[..dash])) >= 0 && v.CompareTo(Parse(Istio[(dash + 1)..])) <= 0;
        }

        private static (int, int) Parse(string s)
        {
            var parts = s.Split('.');
            return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
