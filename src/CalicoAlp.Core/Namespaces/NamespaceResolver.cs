using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Core.Namespaces
{
    /// <summary>Turns names and wildcard patterns (or -All with a label selector) into namespace objects, with one LIST.</summary>
    public static class NamespaceResolver
    {
        /// <summary>Namespaces that belong to the platform; ALP labels there need -Force.</summary>
        public static readonly IReadOnlySet<string> Protected = new HashSet<string>(StringComparer.Ordinal)
        {
            "kube-system", "kube-public", "kube-node-lease", "istio-system", "calico-system", "calico-apiserver", "tigera-operator",
        };

        public sealed record Resolution(List<JsonObject> Namespaces, List<string> Unmatched);

        public static async Task<Resolution> ResolveAsync(KubeApi api, IReadOnlyCollection<string> patterns, bool all, string? labelSelector, CancellationToken ct)
        {
            var listed = await api.ListAsync(ResourceType.Namespace, null, all ? labelSelector : null, null, ct).ConfigureAwait(false);
            if (all) return new Resolution(listed, new List<string>());
            var byName = listed.ToDictionary(n => JsonFields.GetString(n, "metadata", "name") ?? "", StringComparer.Ordinal);
            var result = new List<JsonObject>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var unmatched = new List<string>();
            foreach (var pattern in patterns)
            {
                if (!HasWildcard(pattern))
                {
                    if (byName.TryGetValue(pattern, out var ns)) { if (seen.Add(pattern)) result.Add(ns); }
                    else unmatched.Add(pattern);
                    continue;
                }
                var regex = WildcardToRegex(pattern);
                var any = false;
                foreach (var (name, ns) in byName.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (!regex.IsMatch(name)) continue;
                    any = true;
                    if (seen.Add(name)) result.Add(ns);
                }
                if (!any) unmatched.Add(pattern);
            }
            return new Resolution(result, unmatched);
        }

        public static bool HasWildcard(string s) => s.IndexOfAny(new[] { '*', '?', '[' }) >= 0;

        /// <summary>PowerShell-style wildcards (*, ?, [abc]); namespace names are lower-case DNS labels, so matching is ordinal.</summary>
        public static Regex WildcardToRegex(string pattern)
        {
            var sb = new System.Text.StringBuilder("^");
            for (var i = 0; i < pattern.Length; i++)
            {
                var c = pattern[i];
                switch (c)
                {
                    case '*': sb.Append(".*"); break;
                    case '?': sb.Append('.'); break;
                    case '[':
                        var end = pattern.IndexOf(']', i + 1);
                        if (end < 0) { sb.Append(@"\["); break; }
                        sb.Append('[').Append(Regex.Escape(pattern.Substring(i + 1, end - i - 1)).Replace(@"\-", "-")).Append(']');
                        i = end;
                        break;
                    default: sb.Append(Regex.Escape(c.ToString())); break;
                }
            }
            return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant);
        }
    }
}
