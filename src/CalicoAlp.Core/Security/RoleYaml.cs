using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using CalicoAlp.Core.Diagnostics;

namespace CalicoAlp.Core.Security
{
    /// <summary>Whether rules become one ClusterRole, or Roles per namespace (plus a ClusterRole for what a Role cannot grant).</summary>
    public enum RoleKind
    {
        ClusterRole,
        Role,
    }

    /// <summary>
    /// Kubernetes RBAC YAML for a list of rules: rules on the same API group, resource and resource names (and, for
    /// Roles, namespace) are merged into one with the union of their verbs.
    /// </summary>
    public static class RoleYaml
    {
        public const string InvalidNameErrorId = "PermissionRoleNameInvalid";
        public const string TargetNamespaceMissingErrorId = "PermissionTargetNamespaceMissing";

        /// <param name="targetNamespaces">For <see cref="RoleKind.Role"/>: the namespaces standing for <see cref="PermissionRule.TargetNamespaces"/>.</param>
        public static string Write(IEnumerable<PermissionRule> rules, RoleKind kind, string name, IReadOnlyList<string>? targetNamespaces = null)
        {
            if (!IsDnsSubdomain(name))
            {
                throw new AlpException(InvalidNameErrorId, AlpErrorKind.InvalidArgument,
                    $"'{name}' is not a valid role name (a DNS subdomain: lower-case letters, digits, '-' and '.', at most 253 characters).", name);
            }
            var list = rules.ToList();
            var docs = new List<string>();
            if (kind == RoleKind.ClusterRole)
            {
                docs.Add(Document("ClusterRole", name, null, list));
                return string.Join("---\n", docs);
            }
            var clusterWide = list.Where(r => r.Namespaces == null).ToList();
            var byNamespace = new SortedDictionary<string, List<PermissionRule>>(StringComparer.Ordinal);
            foreach (var r in list.Where(r => r.Namespaces != null))
            {
                foreach (var ns in r.Namespaces!)
                {
                    IEnumerable<string> actual = new[] { ns };
                    if (ns == PermissionRule.TargetNamespaces)
                    {
                        if (targetNamespaces == null || targetNamespaces.Count == 0)
                        {
                            throw new AlpException(TargetNamespaceMissingErrorId, AlpErrorKind.InvalidArgument,
                                $"The rule for {r.FullResource} applies to the namespaces the command is given: pass them with -TargetNamespace to write Roles (or use -Kind ClusterRole).", r.FullResource);
                        }
                        actual = targetNamespaces;
                    }
                    foreach (var a in actual)
                    {
                        if (!byNamespace.TryGetValue(a, out var nsRules)) byNamespace[a] = nsRules = new List<PermissionRule>();
                        nsRules.Add(r);
                    }
                }
            }
            if (clusterWide.Count > 0) docs.Add(Document("ClusterRole", name, null, clusterWide));
            foreach (var (ns, nsRules) in byNamespace) docs.Add(Document("Role", name, ns, nsRules));
            return string.Join("---\n", docs);
        }

        /// <summary>The rules merged: one per (API group, resource, resource names), verbs united in Kubernetes' usual order.</summary>
        public static IReadOnlyList<PermissionRule> Merge(IEnumerable<PermissionRule> rules)
        {
            var merged = new List<PermissionRule>();
            foreach (var g in rules.GroupBy(r => (r.ApiGroup, r.Resource, Names: string.Join(",", r.ResourceNames.OrderBy(n => n, StringComparer.Ordinal)))))
            {
                var verbs = g.SelectMany(r => r.Verbs).Distinct(StringComparer.Ordinal).OrderBy(VerbOrder).ThenBy(v => v, StringComparer.Ordinal).ToList();
                merged.Add(g.First() with { Verbs = verbs });
            }
            return merged;
        }

        private static readonly string[] KnownVerbs = { "get", "list", "watch", "create", "update", "patch", "delete" };

        private static int VerbOrder(string v)
        {
            var i = Array.IndexOf(KnownVerbs, v);
            return i < 0 ? KnownVerbs.Length : i;
        }

        private static string Document(string kind, string name, string? ns, List<PermissionRule> rules)
        {
            var sb = new StringBuilder();
            sb.Append("apiVersion: rbac.authorization.k8s.io/v1\n");
            sb.Append("kind: ").Append(kind).Append('\n');
            sb.Append("metadata:\n  name: ").Append(name).Append('\n');
            if (ns != null) sb.Append("  namespace: ").Append(ns).Append('\n');
            sb.Append("rules:\n").Append(Rules(rules));
            return sb.ToString();
        }

        /// <summary>The rules (merged) as a YAML list, the value of a role's <c>rules:</c>; "[]" when there are none.</summary>
        public static string Rules(IEnumerable<PermissionRule> rules)
        {
            var sb = new StringBuilder();
            foreach (var r in Merge(rules))
            {
                sb.Append("- apiGroups: ['").Append(r.ApiGroup).Append("']\n");
                sb.Append("  resources: [").Append(r.Resource).Append("]\n");
                if (r.ResourceNames.Count > 0) sb.Append("  resourceNames: [").Append(string.Join(", ", r.ResourceNames)).Append("]\n");
                sb.Append("  verbs: [").Append(string.Join(", ", r.Verbs)).Append("]\n");
            }
            return sb.Length == 0 ? "[]\n" : sb.ToString();
        }

        private static bool IsDnsSubdomain(string name) =>
            name.Length is > 0 and <= 253 && name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '.')
            && char.IsLetterOrDigit(name[0]) && char.IsLetterOrDigit(name[^1]);
    }
}
