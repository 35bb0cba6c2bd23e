using System;
using System.Collections.Generic;
using System.Net;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Tests.Policy.Reference
{
    /// <summary>Deterministic random policy sets and requests over a small universe, so that criteria often match.</summary>
    internal sealed class RandomPolicyGenerator
    {
        private readonly Random _rng;
        private readonly bool _large;
        private readonly string[] _cidrs = Cidrs;
        private readonly string[] _ips = { "10.0.0.1", "10.0.1.7", "10.0.0.2", "192.168.3.4" };
        private readonly string[] _rulePaths = RulePaths;
        private readonly string[] _requestPaths = RequestPaths;

        public RandomPolicyGenerator(int seed) => _rng = new Random(seed);

        /// <summary>
        /// <paramref name="large"/>: many policies and rules, long CIDR lists (hundreds of /32 and /28 inside 10.0.0.0/16 and
        /// 192.168.0.0/16, beside the wide 10.0.0.0/8 and 0.0.0.0/0, IPv6 and an invalid entry), deep paths with rules at
        /// every level: the shapes the rule index treats specially (wide ranges, dense /16s, many path lists).
        /// </summary>
        public RandomPolicyGenerator(int seed, bool large) : this(seed)
        {
            _large = large;
            if (!large) return;
            var cidrs = new List<string>(Cidrs) { "not-a-cidr", "10.0.0.0/16" };
            var ips = new List<string>(_ips);
            for (int i = 0; i < 600; i++)
            {
                string a = (i % 3 == 0 ? "192.168." : "10.0.") + _rng.Next(0, 4) + "." + _rng.Next(0, 256);
                cidrs.Add(a + (Chance(25) ? "/28" : "/32"));
                ips.Add(a);
            }
            _cidrs = cidrs.ToArray();
            _ips = ips.ToArray();
            _rulePaths = [.. RulePaths, "/a", "/a/b/c", "/a/b/c/d", "/a/b/c/d/e", "/a/b/c/d/e/f", "/a/b/c/d/e/f/g", "/a/b/c/d/e/f/g/h"];
            _requestPaths = [.. RequestPaths, "/a/b/c/d/e/f/g/h/i", "/a/b/c/d/e/f/g/h", "/a/b/c/d/x", "/a/b"];
        }

        private static readonly string[] Namespaces = { "a", "b", "c" };
        private static readonly string[] ServiceAccounts = { "s1", "s2", "s3" };
        private static readonly string[] Selectors =
        {
            "all()", "app == 'web'", "app == 'db'", "has(tier)", "app in {'web', 'db'}", "tier != 'fe'", "!has(app)",
            "projectcalico.org/serviceaccount == 's1'", "app starts with 'w' || tier == 'be'", "role == 'r1'", "team == 'x'",
            "projectcalico.org/name == 'a'", "pcns.team == 'y'", "app contains 'e'", "global()",
        };
        private static readonly string[] Cidrs = { "10.0.0.0/8", "10.0.1.0/24", "10.0.0.2/32", "192.168.0.0/16", "fd00::/8", "0.0.0.0/0" };
        private static readonly string[] Methods = { "GET", "POST", "get", "*", "DELETE" };
        private static readonly string[] RulePaths = { "/", "/api", "/api/v1", "/pub", "/admin", "/a/b" };
        private static readonly string[] RequestPaths =
        {
            "/", "/api", "/api/v1/x", "/api/../admin", "/public", "/pub/x?y=1", "api", "/a%2fb", "/a/b#f", "//api", "/API", "/%61pi/v1",
        };

        private T Pick<T>(IReadOnlyList<T> items) => items[_rng.Next(items.Count)];
        private bool Chance(int percent) => _rng.Next(100) < percent;

        private Dictionary<string, string> Labels(string key1, string[] v1, string key2, string[] v2)
        {
            var d = new Dictionary<string, string>();
            if (Chance(70)) d[key1] = Pick(v1);
            if (Chance(50)) d[key2] = Pick(v2);
            return d;
        }

        private Dictionary<string, string> PodLabels() => Labels("app", new[] { "web", "db", "api" }, "tier", new[] { "fe", "be" });

        private PortSpec Port()
        {
            int lo = Pick(new[] { 80, 8080, 8000, 40000, 9090 });
            return Chance(30) ? new PortSpec(lo, lo + _rng.Next(0, 200), null) : Chance(10) ? new PortSpec(0, -1, "http") : new PortSpec(lo, lo, null);
        }

        private List<T> Some<T>(Func<T> make, int max)
        {
            var l = new List<T>();
            int n = _rng.Next(1, max + 1);
            for (int i = 0; i < n; i++) l.Add(make());
            return l;
        }

        private EntityRuleDef Entity()
        {
            if (Chance(35)) return EntityRuleDef.Empty;
            return new EntityRuleDef
            {
                Selector = Chance(30) ? Pick(Selectors).Replace("global()", "all()") : null,
                NotSelector = Chance(15) ? Pick(Selectors).Replace("global()", "all()") : null,
                NamespaceSelector = Chance(20) ? Pick(new[] { "team == 'x'", "all()", "global()", "projectcalico.org/name == 'b'" }) : null,
                ServiceAccounts = Chance(20) ? new ServiceAccountMatchDef(Chance(70) ? Some(() => Pick(ServiceAccounts), 2) : new List<string>(),
                    Chance(40) ? Pick(new[] { "role == 'r1'", "projectcalico.org/name == 's2'", "all()" }) : null) : null,
                Nets = Chance(20) ? Some(() => Pick(_cidrs), _large ? 40 : 2) : new List<string>(),
                NotNets = Chance(10) ? Some(() => Pick(_cidrs), 2) : new List<string>(),
                Ports = Chance(25) ? Some(Port, 2) : new List<PortSpec>(),
                NotPorts = Chance(10) ? Some(Port, 2) : new List<PortSpec>(),
            };
        }

        private ProtocolSpec Protocol() => Pick(new[]
        {
            new ProtocolSpec("tcp", null), new ProtocolSpec("udp", null), new ProtocolSpec(null, 6), new ProtocolSpec(null, 17),
            new ProtocolSpec("sctp", null), new ProtocolSpec(null, 132), new ProtocolSpec("icmp", null),
        });

        private RuleDef Rule(bool ingress)
        {
            var action = Pick(new[] { RuleAction.Allow, RuleAction.Allow, RuleAction.Deny, RuleAction.Pass, RuleAction.Log });
            HttpMatchDef? http = null;
            if (ingress && action == RuleAction.Allow && Chance(35))
            {
                var methods = new List<string>();
                if (Chance(60)) foreach (var m in Some(() => Pick(Methods), 2)) if (!methods.Contains(m)) methods.Add(m);
                var paths = new List<HttpPathDef>();
                if (Chance(60)) paths = Some(() => Chance(50) ? new HttpPathDef(Pick(_rulePaths), null) : new HttpPathDef(null, Pick(_rulePaths)), 2);
                http = new HttpMatchDef(methods, paths);
            }
            return new RuleDef
            {
                Action = action,
                ActionText = action.ToString(),
                Protocol = http == null && Chance(20) ? Protocol() : http != null && Chance(20) ? new ProtocolSpec("tcp", null) : null,
                NotProtocol = Chance(10) ? Protocol() : null,
                Source = Entity(),
                Destination = Entity(),
                Http = http,
            };
        }

        public PolicySet PolicySet()
        {
            var tiers = new List<TierDef>();
            int tierCount = _rng.Next(0, 4);
            var tierNames = new List<string> { "default" };
            for (int i = 0; i < tierCount; i++)
            {
                var name = "t" + i;
                tierNames.Add(name);
                tiers.Add(new TierDef(name, Chance(85) ? _rng.Next(1, 4) * 100 : null, Chance(50) ? RuleAction.Pass : RuleAction.Deny, SourceLocation.None));
            }
            var policies = new List<PolicyDef>();
            int policyCount = _large ? _rng.Next(40, 80) : _rng.Next(0, 9);
            for (int i = 0; i < policyCount; i++)
            {
                var kind = Pick(new[] { PolicyKind.GlobalNetworkPolicy, PolicyKind.GlobalNetworkPolicy, PolicyKind.NetworkPolicy,
                    PolicyKind.NetworkPolicy, PolicyKind.StagedGlobalNetworkPolicy, PolicyKind.StagedNetworkPolicy, PolicyKind.KubernetesNetworkPolicy, PolicyKind.StagedKubernetesNetworkPolicy });
                bool knp = kind is PolicyKind.KubernetesNetworkPolicy or PolicyKind.StagedKubernetesNetworkPolicy;
                bool namespaced = knp || kind is PolicyKind.NetworkPolicy or PolicyKind.StagedNetworkPolicy;
                var tier = knp ? "default" : Pick(tierNames);
                var types = new List<PolicyType>();
                if (Chance(40)) types.Add(PolicyType.Ingress);
                if (Chance(30)) types.Add(PolicyType.Egress);
                policies.Add(new PolicyDef
                {
                    Name = (knp ? "knp.default." : tier == "default" ? "" : tier + ".") + "p" + _rng.Next(0, _large ? 400 : 4),
                    Namespace = namespaced ? Pick(Namespaces) : null,
                    Kind = kind,
                    Tier = tier,
                    Order = Chance(75) ? _rng.Next(1, 4) : null,
                    Selector = Chance(25) ? "" : Pick(Selectors).Replace("global()", "all()"),
                    NamespaceSelector = !namespaced && Chance(15) ? Pick(new[] { "team == 'x'", "all()" }) : "",
                    ServiceAccountSelector = Chance(10) ? Pick(new[] { "role == 'r1'", "all()" }) : "",
                    Types = types,
                    Ingress = Chance(85) ? Some(() => Rule(true), _large ? 12 : 4) : new List<RuleDef>(),
                    Egress = Chance(40) ? Some(() => Rule(false), _large ? 8 : 3) : new List<RuleDef>(),
                });
            }
            var profiles = new List<ProfileDef>();
            if (Chance(50)) profiles.Add(new ProfileDef("p1", Some(() => Rule(true), 2), Some(() => Rule(false), 2), SourceLocation.None));
            var namespaces = new List<NamespaceDef>();
            foreach (var ns in Namespaces)
            {
                if (Chance(80)) namespaces.Add(new NamespaceDef(ns, Labels("team", new[] { "x", "y" }, "env", new[] { "prod" }), SourceLocation.None));
            }
            var sas = new List<ServiceAccountDef>();
            foreach (var ns in Namespaces)
            {
                foreach (var sa in ServiceAccounts)
                {
                    if (Chance(60)) sas.Add(new ServiceAccountDef(ns, sa, Labels("role", new[] { "r1", "r2" }, "x", new[] { "1" }), SourceLocation.None));
                }
            }
            return new PolicySet { Tiers = tiers, Policies = policies, Profiles = profiles, Namespaces = namespaces, ServiceAccounts = sas };
        }

        private WorkloadInfo Workload() => new(Pick(Namespaces), Pick(ServiceAccounts), PodLabels())
        {
            NamedPorts = Chance(40) ? new[] { new NamedPort("http", Chance(80) ? "tcp" : "udp", Pick(new[] { 80, 8080, 40000 })) } : Array.Empty<NamedPort>(),
        };

        public AlpRequest Request()
        {
            var src = Chance(80) ? Workload() : null;
            var dst = Chance(97) ? Workload() : null;
            string principal;
            int kind = _rng.Next(100);
            if (kind < 50 && src != null) principal = src.Principal;
            else if (kind < 65) principal = $"spiffe://td/ns/{Pick(Namespaces)}/sa/{Pick(ServiceAccounts)}";
            else if (kind < 85) principal = "";
            else principal = Pick(new[] { "spiffe://cluster.local/ns/a", "spiffe://x/ns/a/sa/s1/extra", "garbage" });
            bool http = Chance(70);
            var direction = Chance(25) ? TrafficDirection.Egress : TrafficDirection.Ingress;
            if (direction == TrafficDirection.Egress && src == null) src = Workload();
            List<string>? profiles = null;
            if (Chance(40))
            {
                profiles = new List<string>();
                foreach (var n in new[] { "p1", "kns.a", "ksa.a.s1", "missing" }) if (Chance(50)) profiles.Add(n);
            }
            return new AlpRequest
            {
                SourcePrincipal = principal,
                SourceIP = src != null || Chance(50) ? IPAddress.Parse(Pick(_ips))
                    : Chance(10) && _large ? null : IPAddress.Parse(Pick(new[] { "203.0.113.9", "fd00::5", "10.0.1.9" })),
                SourcePort = Pick(new[] { 40000, 40100, 8080, 50000 }),
                SourceWorkload = src,
                DestinationIP = _large && Chance(50) ? IPAddress.Parse(Pick(_ips)) : IPAddress.Parse(Pick(new[] { "10.0.0.2", "10.0.1.3", "fd00::1" })),
                DestinationPort = Pick(new[] { 80, 8080, 8150, 9090, 9999 }),
                DestinationWorkload = dst,
                Profiles = profiles,
                Protocol = Chance(90) ? 6 : 17,
                Method = http ? Pick(new[] { "GET", "POST", "get", "DELETE", "PUT" }) : null,
                Path = http ? Pick(_requestPaths) : null,
                Direction = direction,
            };
        }
    }
}
