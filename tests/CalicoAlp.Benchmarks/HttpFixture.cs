using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Benchmarks
{
    /// <summary>One request of the HTTP stream: who (namespace/service account) asks for which method and path. Every request
    /// goes to bench/api on TCP port 8080 over mTLS (the SPIFFE principal of <see cref="Namespace"/>/<see cref="ServiceAccount"/>).</summary>
    public sealed record HttpRequestCase(string Kind, string Namespace, string ServiceAccount, string Method, string Path)
    {
        /// <summary>The request as our engine sees it: the source workload has the same namespace/SA (so that the SA rule's IP
        /// set matches, as for a pod), the source IP is irrelevant (no rule of the HTTP part has nets).</summary>
        public AlpRequest ToAlpRequest() => ScaleFixture.Request(Namespace, ServiceAccount, "10.1.0.9", Method, Path, HttpFixture.StreamPort);
    }

    /// <summary>
    /// The HTTP part of <see cref="ScaleFixture"/>: the same tier and 300 policies in the same order, keeping only the rules that
    /// constrain service accounts and/or HTTP methods/paths (the 10 Deny rules on deny-listed service accounts, the
    /// <c>serviceAccounts.names</c> Allow rules, the <c>http.methods</c> + <c>http.paths</c> Allow rules and the late Allow rule).
    /// Rules with a selector, nets or only ports are dropped (Cedar has no counterpart for them in this comparison). A kept rule's
    /// <c>destination.ports</c> + <c>protocol</c> are dropped when they admit TCP port 8080 (every request of the stream goes to
    /// 8080/TCP, so this changes no decision of the stream); a kept rule whose ports exclude 8080 is dropped as unreachable.
    /// </summary>
    public sealed class HttpFixture
    {
        public const int StreamPort = 8080;

        public PolicySet Set { get; }
        public int RuleCount { get; }
        public int DenyRules { get; }
        public int ServiceAccountRules { get; }
        public int HttpRules { get; }
        public int MixedRules { get; }
        public int DroppedRules { get; }
        public int StrippedPortRules { get; }

        /// <summary>(policy name, index in the HTTP-only policy) -> index of the same rule in the full fixture's policy.</summary>
        public IReadOnlyDictionary<(string Policy, int Rule), int> OriginalIndex { get; }

        private readonly List<string> _denyNames = new();
        private readonly List<string> _saOnlyNames = new();
        private readonly List<(string Name, string Method)> _saMethod = new();
        private readonly List<(IReadOnlyList<string> Methods, HttpPathDef Path)> _httpRules = new();

        public HttpFixture(PolicySet full)
        {
            var original = new Dictionary<(string, int), int>();
            var policies = new List<PolicyDef>(full.Policies.Count);
            int kept = 0, dropped = 0, stripped = 0, deny = 0, sa = 0, http = 0, mixed = 0;
            foreach (var p in full.Policies)
            {
                var rules = new List<RuleDef>();
                for (int i = 0; i < p.Ingress.Count; i++)
                {
                    var r = p.Ingress[i];
                    var http2 = KeepHttpPart(r, out bool strippedPorts);
                    if (http2 == null)
                    {
                        dropped++;
                        continue;
                    }
                    if (strippedPorts) stripped++;
                    original[(p.Name, rules.Count)] = i;
                    rules.Add(http2);
                    kept++;
                    bool hasSa = http2.Source.ServiceAccounts != null, hasHttp = http2.Http != null;
                    if (http2.Action == RuleAction.Deny) deny++;
                    else if (hasSa && hasHttp) mixed++;
                    else if (hasSa) sa++;
                    else http++;
                    Remember(http2);
                }
                policies.Add(p with { Ingress = rules, Egress = [] });
            }
            Set = full with { Policies = policies };
            RuleCount = kept;
            DroppedRules = dropped;
            StrippedPortRules = stripped;
            DenyRules = deny;
            ServiceAccountRules = sa;
            HttpRules = http;
            MixedRules = mixed;
            OriginalIndex = original;
        }

        /// <summary>The rule reduced to its service-account and HTTP criteria, or null when it has none or has criteria that
        /// are not service accounts, HTTP or ports admitting 8080/TCP.</summary>
        private static RuleDef? KeepHttpPart(RuleDef r, out bool strippedPorts)
        {
            strippedPorts = false;
            if (r.Source.ServiceAccounts == null && r.Http == null) return null;
            var s = r.Source;
            var d = r.Destination;
            if (s.Nets.Count > 0 || s.NotNets.Count > 0 || s.Selector != null || s.NotSelector != null || s.NamespaceSelector != null ||
                s.Ports.Count > 0 || s.NotPorts.Count > 0 || (s.ServiceAccounts != null && s.ServiceAccounts.Selector != null))
            {
                return null;
            }
            if (d.Nets.Count > 0 || d.NotNets.Count > 0 || d.Selector != null || d.NotSelector != null || d.NamespaceSelector != null ||
                d.ServiceAccounts != null || d.NotPorts.Count > 0 || r.NotProtocol != null)
            {
                return null;
            }
            if (d.Ports.Count > 0 || r.Protocol != null)
            {
                bool tcp = r.Protocol == null || r.Protocol.Name == "tcp" || r.Protocol.Number == 6;
                bool port = d.Ports.Count == 0 || d.Ports.Any(x => !x.IsNamed && x.Min <= StreamPort && StreamPort <= x.Max);
                if (!tcp || !port) return null;
                strippedPorts = true;
            }
            return new RuleDef { Action = r.Action, ActionText = r.ActionText, Source = s, Http = r.Http };
        }

        private void Remember(RuleDef r)
        {
            var names = r.Source.ServiceAccounts?.Names ?? [];
            if (r.Action == RuleAction.Deny)
            {
                _denyNames.AddRange(names);
                return;
            }
            if (r.Http == null)
            {
                _saOnlyNames.AddRange(names);
                return;
            }
            if (names.Count > 0)
            {
                foreach (var n in names)
                {
                    foreach (var m in r.Http.Methods) _saMethod.Add((n, m));
                }
                return;
            }
            foreach (var path in r.Http.Paths) _httpRules.Add((r.Http.Methods, path));
        }

        private static readonly string[] Namespaces = ["client", "team-a", "team-b", "bench"];
        private static readonly string[] AllMethods = ["GET", "POST", "PUT", "DELETE", "PATCH"];

        /// <summary>
        /// A seeded request stream drawn from the kept rules: deny-listed accounts (plain and with an HTTP-rule hit, where policy
        /// order decides), service-account hits, the SA + method rule with and without its method, method/path hits (exact
        /// prefix, deeper paths, some with a query string), near misses (wrong method, prefix not segment-aligned), and
        /// requests nothing matches.
        /// </summary>
        public List<HttpRequestCase> Stream(int count, int seed = 11)
        {
            var rng = new Random(seed);
            var result = new List<HttpRequestCase>(count);
            string Pick(IReadOnlyList<string> l) => l[rng.Next(l.Count)];
            string Deeper(string prefix)
            {
                var b = prefix == "/" ? "" : prefix;
                return rng.Next(4) switch
                {
                    0 => prefix,
                    1 => b + "/x" + rng.Next(100).ToString(CultureInfo.InvariantCulture),
                    2 => b + "/items/" + rng.Next(100).ToString(CultureInfo.InvariantCulture) + "/detail",
                    _ => b + "/q?id=" + rng.Next(100).ToString(CultureInfo.InvariantCulture),
                };
            }
            (string Method, string Path) HttpHit()
            {
                var (methods, p) = _httpRules[rng.Next(_httpRules.Count)];
                var m = methods.Contains("*") ? Pick(AllMethods) : Pick(methods);
                return (m, Deeper(p.Prefix ?? p.Exact ?? "/"));
            }
            for (int i = 0; i < count; i++)
            {
                int kind = rng.Next(10);
                string ns = Pick(Namespaces);
                string sa = "frontend", method = "GET", path = "/api/v1/items", label;
                switch (kind)
                {
                    case 0:
                        label = "deny-listed";
                        sa = Pick(_denyNames);
                        break;
                    case 1:
                        label = "deny-listed+http-hit";
                        sa = Pick(_denyNames);
                        (method, path) = HttpHit();
                        break;
                    case 2:
                    case 3:
                        label = "sa-hit";
                        sa = Pick(_saOnlyNames);
                        method = Pick(AllMethods);
                        path = "/api/v" + rng.Next(3).ToString(CultureInfo.InvariantCulture) + "/items";
                        break;
                    case 4:
                        var (name, m) = _saMethod[rng.Next(_saMethod.Count)];
                        sa = name;
                        if (rng.Next(2) == 0)
                        {
                            label = "sa+method-hit";
                            method = m;
                        }
                        else
                        {
                            label = "sa+method-miss";
                            do method = Pick(AllMethods); while (method == m);
                        }
                        break;
                    case 5:
                    case 6:
                        label = "http-hit";
                        (method, path) = HttpHit();
                        break;
                    case 7:
                        label = "http-near-miss";
                        var (methods, p) = _httpRules[rng.Next(_httpRules.Count)];
                        var rulePath = p.Prefix ?? p.Exact ?? "/";
                        if (rng.Next(2) == 0 && !methods.Contains("*"))
                        {
                            do method = Pick(AllMethods); while (methods.Contains(method));
                            path = Deeper(rulePath);
                        }
                        else
                        {
                            method = methods.Contains("*") ? Pick(AllMethods) : Pick(methods);
                            path = rulePath + "x/y"; // shares the characters, not the segment
                        }
                        break;
                    default:
                        label = "no-match";
                        method = Pick(AllMethods);
                        path = "/api/v1/items/" + rng.Next(1000).ToString(CultureInfo.InvariantCulture);
                        break;
                }
                result.Add(new HttpRequestCase(label, ns, sa, method, path));
            }
            return result;
        }
    }
}
