using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Benchmarks
{
    /// <summary>A path criterion of a Cedar condition: the normalised rule path and whether it is exact or a prefix.</summary>
    public sealed record CedarPath(bool Exact, string Path);

    /// <summary>
    /// A conjunction as a Calico rule of the HTTP part expresses it: service-account names (any namespace), methods, paths;
    /// null = unconstrained. Its meaning on a request (SA name, method, normalised path) is <see cref="Matches"/>.
    /// </summary>
    public sealed record CedarMatch(IReadOnlyList<string>? Names, IReadOnlyList<string>? Methods, IReadOnlyList<CedarPath>? Paths)
    {
        public bool Matches(string sa, string method, string path) =>
            (Names == null || Names.Contains(sa)) &&
            (Methods == null || Methods.Contains(method)) &&
            (Paths == null || Paths.Any(p => p.Exact ? p.Path == path : HttpPath.SegmentPrefixMatch(path, p.Path)));

        /// <summary>False only when no request can match both (different names or disjoint methods); paths are not compared.</summary>
        public bool MayOverlap(CedarMatch other) =>
            (Names == null || other.Names == null || Names.Intersect(other.Names, StringComparer.Ordinal).Any()) &&
            (Methods == null || other.Methods == null || Methods.Intersect(other.Methods, StringComparer.Ordinal).Any());
    }

    /// <summary>One Cedar policy of the translation: effect, match, and (forbid only) the earlier Allow rules that win over it.</summary>
    public sealed record CedarPolicy(string Id, string CalicoPolicy, int CalicoRule, int FixtureRule, bool Forbid, CedarMatch Match,
        IReadOnlyList<CedarMatch> Unless);

    /// <summary>
    /// Translates a single-tier Calico policy set made of service-account / HTTP rules (see <see cref="HttpFixture"/>) into Cedar.
    /// <list type="bullet">
    /// <item>principal = <c>ServiceAccount::"ns/name"</c> (attributes <c>name</c>, <c>namespace</c>; parent <c>Namespace::"ns"</c>);
    /// a GlobalNetworkPolicy's <c>serviceAccounts.names</c> matches the name in any namespace: <c>principal.name == "..."</c>.</item>
    /// <item>action = <c>Action::"GET"</c> etc. (HTTP methods are case-sensitive, so are entity ids).</item>
    /// <item>resource = <c>Path::"/a/b/c"</c>, the request path normalised as Dikastes does (spec 5.6), whose ancestors are the
    /// path's segment prefixes <c>Path::"/"</c>, <c>Path::"/a"</c>, <c>Path::"/a/b"</c>. So <c>resource in Path::"/a"</c> holds
    /// exactly when the path is <c>/a</c> or continues with <c>/</c> after it: Calico's segment-aligned prefix (and
    /// <c>Path::"/"</c> covers every path, as <c>prefix: /</c> does); an exact rule is <c>resource == Path::"/a"</c>.</item>
    /// <item>Precedence: Calico takes the first matching rule in policy order (Allow or Deny) and denies by the tier default;
    /// Cedar denies if any forbid holds, else allows if any permit holds, else denies. Each Allow rule becomes a permit with
    /// its match. Each Deny rule becomes a forbid with its match and an <c>unless</c> listing the earlier Allow rules (in
    /// the tier's order) that could match the same request: the forbid holds when the Deny rule matches and no earlier Allow
    /// rule does. Then some forbid holds iff Calico's first matching rule is a Deny rule; otherwise a permit holds iff the first
    /// match is an Allow rule; so both give the same decision for every request. Earlier Allow rules that
    /// cannot overlap the Deny rule (other service-account names, disjoint methods) are left out of the <c>unless</c>
    /// (they cannot hold when the forbid's match holds); identical (names, methods) entries are merged by joining their paths.</item>
    /// </list>
    /// Anything else (other tiers, Pass/Log, selectors, nets, ports, namespaced policies, egress) is refused.
    /// </summary>
    public static class CedarTranslation
    {
        public static IReadOnlyList<CedarPolicy> Translate(PolicySet set, IReadOnlyDictionary<(string Policy, int Rule), int>? fixtureIndex = null)
        {
            var tierNames = set.Policies.Select(p => p.Tier).Distinct().ToList();
            if (tierNames.Count != 1) throw new NotSupportedException("The Cedar translation handles exactly one tier.");
            var tier = set.Tiers.SingleOrDefault(t => t.Name == tierNames[0]) ??
                       throw new NotSupportedException($"Tier '{tierNames[0]}' has no definition.");
            if (tier.DefaultAction != RuleAction.Deny) throw new NotSupportedException("The tier's default action must be Deny (Cedar's default).");
            var policies = set.Policies.ToList();
            if (policies.Any(p => p.Order == null) || policies.Select(p => p.Order).Distinct().Count() != policies.Count)
                throw new NotSupportedException("Policies need distinct orders.");
            policies.Sort((a, b) => a.Order!.Value.CompareTo(b.Order!.Value));

            var result = new List<CedarPolicy>();
            var earlierAllows = new List<CedarMatch>();
            foreach (var p in policies)
            {
                if (p.Kind != PolicyKind.GlobalNetworkPolicy) throw new NotSupportedException($"{p.Name}: only GlobalNetworkPolicy.");
                if (p.Selector.Trim() != "all()" || p.NamespaceSelector.Length > 0 || p.ServiceAccountSelector.Length > 0)
                    throw new NotSupportedException($"{p.Name}: the policy must apply to all() endpoints.");
                if (p.Egress.Count > 0 || !p.EffectiveTypes.SequenceEqual([PolicyType.Ingress]))
                    throw new NotSupportedException($"{p.Name}: ingress only.");
                for (int i = 0; i < p.Ingress.Count; i++)
                {
                    var r = p.Ingress[i];
                    var match = MatchOf(r, $"{p.Name} rule {i}");
                    string id = $"{p.Name}/ingress/{i}";
                    int fixtureRule = fixtureIndex != null && fixtureIndex.TryGetValue((p.Name, i), out var fi) ? fi : i;
                    if (r.Action == RuleAction.Allow)
                    {
                        result.Add(new CedarPolicy(id, p.Name, i, fixtureRule, false, match, []));
                        earlierAllows.Add(match);
                    }
                    else if (r.Action == RuleAction.Deny)
                    {
                        var unless = Merge(earlierAllows.Where(a => a.MayOverlap(match)));
                        result.Add(new CedarPolicy(id, p.Name, i, fixtureRule, true, match, unless));
                    }
                    else
                    {
                        throw new NotSupportedException($"{id}: action {r.Action} (only Allow and Deny).");
                    }
                }
            }
            return result;
        }

        private static CedarMatch MatchOf(RuleDef r, string where)
        {
            var s = r.Source;
            var d = r.Destination;
            if (s.Nets.Count > 0 || s.NotNets.Count > 0 || s.Selector != null || s.NotSelector != null || s.NamespaceSelector != null ||
                s.Ports.Count > 0 || s.NotPorts.Count > 0 || !IsEmpty(d) || r.Protocol != null || r.NotProtocol != null)
            {
                throw new NotSupportedException($"{where}: only serviceAccounts.names and http criteria are translated.");
            }
            IReadOnlyList<string>? names = null;
            if (s.ServiceAccounts != null)
            {
                if (s.ServiceAccounts.Selector != null || s.ServiceAccounts.Names.Count == 0)
                    throw new NotSupportedException($"{where}: serviceAccounts needs names and no selector.");
                names = s.ServiceAccounts.Names.Distinct(StringComparer.Ordinal).ToList();
            }
            IReadOnlyList<string>? methods = null;
            IReadOnlyList<CedarPath>? paths = null;
            if (r.Http != null)
            {
                if (r.Http.Methods.Count > 0 && !r.Http.Methods.Contains("*")) methods = r.Http.Methods.Distinct(StringComparer.Ordinal).ToList();
                if (r.Http.Paths.Count > 0)
                {
                    paths = r.Http.Paths.Select(x =>
                    {
                        var raw = x.Exact ?? x.Prefix ?? throw new NotSupportedException($"{where}: a path needs exact or prefix.");
                        var norm = HttpPath.Normalize(raw) ?? throw new NotSupportedException($"{where}: path '{raw}' matches nothing.");
                        return new CedarPath(x.Exact != null, norm);
                    }).Distinct().ToList();
                }
            }
            if (names == null && methods == null && paths == null) throw new NotSupportedException($"{where}: the rule matches everything.");
            return new CedarMatch(names, methods, paths);
        }

        private static bool IsEmpty(EntityRuleDef e) =>
            e.Nets.Count == 0 && e.NotNets.Count == 0 && e.Selector == null && e.NotSelector == null && e.NamespaceSelector == null &&
            e.Ports.Count == 0 && e.NotPorts.Count == 0 && e.ServiceAccounts == null;

        /// <summary>(N and M and P1) or (N and M and P2) = N and M and (P1 or P2); an entry without paths absorbs the others.</summary>
        private static List<CedarMatch> Merge(IEnumerable<CedarMatch> matches)
        {
            var groups = new Dictionary<string, (CedarMatch First, List<CedarPath>? Paths)>(StringComparer.Ordinal);
            var order = new List<string>();
            foreach (var m in matches)
            {
                string key = (m.Names == null ? "*" : string.Join('\0', m.Names.Order(StringComparer.Ordinal))) + "\u0001" +
                             (m.Methods == null ? "*" : string.Join('\0', m.Methods.Order(StringComparer.Ordinal)));
                if (!groups.TryGetValue(key, out var g))
                {
                    groups[key] = (m, m.Paths?.ToList());
                    order.Add(key);
                    continue;
                }
                if (g.Paths == null) continue;
                if (m.Paths == null) groups[key] = (g.First, null);
                else
                {
                    foreach (var p in m.Paths)
                    {
                        if (!g.Paths.Contains(p)) g.Paths.Add(p);
                    }
                }
            }
            return order.Select(k => groups[k].First with { Paths = groups[k].Paths }).ToList();
        }

        // ------------------------------------------------------------------ Cedar semantics on the translation (self-check)

        /// <summary>Cedar's decision for the translated set, computed from the translation's meaning: deny if a forbid holds
        /// (its match and none of its unless entries), else allow if a permit holds, else deny. Returns the satisfied policies.</summary>
        public static bool Decide(IReadOnlyList<CedarPolicy> policies, string sa, string method, string normalizedPath, List<string>? satisfied = null)
        {
            bool forbid = false, permit = false;
            foreach (var p in policies)
            {
                if (!p.Match.Matches(sa, method, normalizedPath)) continue;
                if (p.Forbid)
                {
                    if (p.Unless.Any(u => u.Matches(sa, method, normalizedPath))) continue;
                    forbid = true;
                }
                else
                {
                    permit = true;
                }
                satisfied?.Add(p.Id);
            }
            return !forbid && permit;
        }

        // ------------------------------------------------------------------ Cedar text

        public static string Quote(string s)
        {
            var sb = new StringBuilder(s.Length + 2).Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\0': sb.Append("\\0"); break;
                    default:
                        if (c < 0x20) sb.Append("\\u{").Append(((int)c).ToString("x", CultureInfo.InvariantCulture)).Append('}');
                        else sb.Append(c);
                        break;
                }
            }
            return sb.Append('"').ToString();
        }

        private static string Entity(string type, string id) => type + "::" + Quote(id);

        /// <summary>The text of one policy: scope for single method / single path, conditions otherwise. With
        /// <paramref name="annotate"/>, <c>@id</c> and <c>@calico</c> (the source rule) annotations first.</summary>
        public static string ToText(CedarPolicy p, bool annotate = true)
        {
            var sb = new StringBuilder();
            if (annotate)
            {
                sb.Append("@id(").Append(Quote(p.Id)).Append(")\n");
                sb.Append("@calico(").Append(Quote($"{p.CalicoPolicy} ingress rule {p.CalicoRule} (fixture rule {p.FixtureRule})")).Append(")\n");
            }
            sb.Append(p.Forbid ? "forbid (" : "permit (").Append("\n  principal,\n  ");
            var m = p.Match;
            var when = new List<string>();
            if (m.Methods == null) sb.Append("action");
            else if (m.Methods.Count == 1) sb.Append("action == ").Append(Entity("Action", m.Methods[0]));
            else sb.Append("action in [").Append(string.Join(", ", m.Methods.Select(x => Entity("Action", x)))).Append(']');
            sb.Append(",\n  ");
            if (m.Paths != null && m.Paths.Count == 1)
            {
                sb.Append(m.Paths[0].Exact ? "resource == " : "resource in ").Append(Entity("Path", m.Paths[0].Path));
            }
            else
            {
                sb.Append("resource");
                if (m.Paths != null) when.Add(PathsExpr(m.Paths));
            }
            sb.Append("\n)");
            if (m.Names != null) when.Insert(0, NamesExpr(m.Names));
            if (when.Count > 0) sb.Append("\nwhen { ").Append(string.Join(" && ", when)).Append(" }");
            if (p.Unless.Count > 0)
            {
                sb.Append("\nunless {\n  ").Append(string.Join("\n  || ", p.Unless.Select(MatchExpr))).Append("\n}");
            }
            return sb.Append(";\n").ToString();
        }

        private static string NamesExpr(IReadOnlyList<string> names) =>
            names.Count <= 4
                ? (names.Count == 1 ? "" : "(") + string.Join(" || ", names.Select(n => "principal.name == " + Quote(n))) + (names.Count == 1 ? "" : ")")
                : "[" + string.Join(", ", names.Select(Quote)) + "].contains(principal.name)";

        private static string MethodsExpr(IReadOnlyList<string> methods) =>
            methods.Count == 1 ? "action == " + Entity("Action", methods[0]) : "action in [" + string.Join(", ", methods.Select(x => Entity("Action", x))) + "]";

        private static string PathsExpr(IReadOnlyList<CedarPath> paths)
        {
            var parts = new List<string>();
            var prefixes = paths.Where(p => !p.Exact).Select(p => Entity("Path", p.Path)).ToList();
            var exacts = paths.Where(p => p.Exact).Select(p => Entity("Path", p.Path)).ToList();
            if (prefixes.Count == 1) parts.Add("resource in " + prefixes[0]);
            else if (prefixes.Count > 1) parts.Add("resource in [" + string.Join(", ", prefixes) + "]");
            if (exacts.Count == 1) parts.Add("resource == " + exacts[0]);
            else if (exacts.Count > 1) parts.Add("[" + string.Join(", ", exacts) + "].contains(resource)");
            return parts.Count == 1 ? parts[0] : "(" + string.Join(" || ", parts) + ")";
        }

        private static string MatchExpr(CedarMatch m)
        {
            var parts = new List<string>();
            if (m.Names != null) parts.Add(NamesExpr(m.Names));
            if (m.Methods != null) parts.Add(MethodsExpr(m.Methods));
            if (m.Paths != null) parts.Add(PathsExpr(m.Paths));
            return "(" + string.Join(" && ", parts) + ")";
        }

        /// <summary>The resource entity's ancestors: every segment prefix of the normalised path, from <c>/</c> down.</summary>
        public static List<string> PathAncestors(string normalizedPath)
        {
            var result = new List<string>();
            if (normalizedPath == "/") return result;
            result.Add("/");
            for (int i = normalizedPath.IndexOf('/', 1); i > 0; i = normalizedPath.IndexOf('/', i + 1)) result.Add(normalizedPath.Substring(0, i));
            return result;
        }
    }
}
