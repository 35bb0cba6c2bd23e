using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Benchmarks
{
    /// <summary>
    /// A seeded, in-memory policy set shaped like Calico's BenchmarkEvaluateBaselinePolicyScale fixture
    /// (app-policy/checker/bench_test.go, spec section 8): one tier, 300 policies x 70 ingress rules (21,000 rules),
    /// a few Deny rules, one Allow near the end, every other rule a rule the benchmark's "full walk" request does not match.
    /// A quarter of the rules reference a CIDR list: ~3,700 lists, ~250,000 CIDRs, sizes 1 to 50,000. The engine has no
    /// GlobalNetworkSet support, so each list is expressed as the rule's <c>source.nets</c> (the same list object may be
    /// referenced by more than one rule, as Calico's IP sets are; the engine compiles each reference separately).
    /// </summary>
    public sealed class ScaleFixture
    {
        public const string TierName = "perimeter";
        public const int PolicyCount = 300;
        public const int RulesPerPolicy = 70;
        public const int ListCount = 3_700;
        public const int LargestList = 50_000;
        /// <summary>Where the one Allow rule sits (near the end of the tier).</summary>
        public const int AllowPolicy = 290, AllowRule = 40;
        /// <summary>The first Deny rule: the early-match request stops here (policy 0, 4th rule).</summary>
        public const int EarlyDenyRule = 3;

        public PolicySet Set { get; }
        public int RuleCount { get; }
        public int NetsRuleCount { get; }
        public int DenyRuleCount { get; }
        public int CidrCount { get; }
        public IReadOnlyList<IReadOnlyList<string>> Lists { get; }

        public static readonly WorkloadInfo Api = new("bench", "api", new Dictionary<string, string> { ["app"] = "api", ["tier"] = "backend" });

        private readonly Random _rng;

        public ScaleFixture(int seed = 13265)
        {
            _rng = new Random(seed);
            var lists = new List<IReadOnlyList<string>>(ListCount);
            int cidrs = 0;
            for (int i = 0; i < ListCount; i++)
            {
                var l = NewList(ListSize(i));
                cidrs += l.Count;
                lists.Add(l);
            }
            Lists = lists;
            CidrCount = cidrs;

            // Which rules reference a list: a quarter, spread evenly; each list once, then small lists again.
            int total = PolicyCount * RulesPerPolicy;
            var policies = new List<PolicyDef>(PolicyCount);
            int netsRules = 0, denies = 0, nextList = 0;
            for (int p = 0; p < PolicyCount; p++)
            {
                var rules = new List<RuleDef>(RulesPerPolicy);
                for (int r = 0; r < RulesPerPolicy; r++)
                {
                    int global = p * RulesPerPolicy + r;
                    RuleDef rule;
                    if (p == AllowPolicy && r == AllowRule)
                    {
                        rule = AllowRuleDef();
                    }
                    else if (IsDeny(p, r))
                    {
                        rule = DenyRuleDef(denies++);
                    }
                    else if (global % 4 == 1)
                    {
                        IReadOnlyList<string> list;
                        if (nextList < ListCount) list = lists[nextList++];
                        else
                        {
                            do list = lists[_rng.Next(ListCount)]; while (list.Count >= 100);
                        }
                        rule = NetsRule(list);
                        netsRules++;
                    }
                    else
                    {
                        rule = OtherRule(global);
                    }
                    rules.Add(rule);
                }
                policies.Add(new PolicyDef
                {
                    Name = "perimeter.p" + p.ToString("D3", CultureInfo.InvariantCulture),
                    Kind = PolicyKind.GlobalNetworkPolicy,
                    Tier = TierName,
                    Order = p,
                    Selector = "all()",
                    Types = [PolicyType.Ingress],
                    Ingress = rules,
                });
            }
            RuleCount = total;
            NetsRuleCount = netsRules;
            DenyRuleCount = denies;
            Set = new PolicySet
            {
                Tiers = [new TierDef(TierName, 100, RuleAction.Deny, SourceLocation.None)],
                Policies = policies,
            };
        }

        private static bool IsDeny(int p, int r) =>
            (p == 0 && r == EarlyDenyRule) || (r == 7 && p % 33 == 5); // 1 + 9 = 10 Deny rules, as in Calico's fixture

        /// <summary>List sizes following Calico's histogram (3,035 of 1-9, 446 of 10-99, 64 of 100-999, 158 of 1,000-9,999, one
        /// large), skewed to the low end of each bucket so that the total is ~250,000.</summary>
        private int ListSize(int i)
        {
            if (i == 0) return LargestList;
            double u = _rng.NextDouble();
            if (i <= 158) return 1_000 + (int)(9_000 * Math.Pow(u, 100));
            if (i <= 158 + 64) return 100 + (int)(900 * Math.Pow(u, 4));
            if (i <= 158 + 64 + 446) return 10 + (int)(90 * Math.Pow(u, 4));
            return 1 + (int)(9 * Math.Pow(u, 3));
        }

        /// <summary>CIDRs inside 172.16.0.0/12 and 192.168.0.0/16 (the full-walk request comes from 10.1.0.5).</summary>
        private List<string> NewList(int size)
        {
            var l = new List<string>(size);
            for (int i = 0; i < size; i++)
            {
                bool big = _rng.Next(2) == 0;
                uint addr = big ? 0xAC100000u | (uint)_rng.Next(1 << 20) : 0xC0A80000u | (uint)_rng.Next(1 << 16);
                int prefix = _rng.Next(4) == 0 ? 28 : 32;
                if (prefix == 28) addr &= 0xFFFFFFF0u;
                l.Add($"{addr >> 24}.{(addr >> 16) & 255}.{(addr >> 8) & 255}.{addr & 255}/{prefix}");
            }
            return l;
        }

        private static readonly string[] Methods = ["DELETE", "PUT", "PATCH", "POST"];

        private static RuleDef NetsRule(IReadOnlyList<string> list) => new()
        {
            Action = RuleAction.Allow,
            ActionText = "Allow",
            Source = new EntityRuleDef { Nets = list },
        };

        /// <summary>Rules the full-walk request does not match: selectors, service accounts, ports, HTTP methods/paths.</summary>
        private RuleDef OtherRule(int global)
        {
            int n = _rng.Next(500);
            switch (global % 4)
            {
                case 0:
                    return new RuleDef
                    {
                        Action = RuleAction.Allow,
                        Source = new EntityRuleDef { Selector = $"app == 'svc-{n}'" },
                        Destination = new EntityRuleDef { Ports = [new PortSpec(8080, 8080, null)] },
                        Protocol = new ProtocolSpec("tcp", null),
                    };
                case 2:
                    return new RuleDef
                    {
                        Action = RuleAction.Allow,
                        Source = new EntityRuleDef { ServiceAccounts = new ServiceAccountMatchDef([$"sa-{n}", $"sa-{n + 500}"], null) },
                    };
                default:
                    return (global / 4) % 2 == 0
                        ? new RuleDef
                        {
                            Action = RuleAction.Allow,
                            Destination = new EntityRuleDef { Ports = [new PortSpec(9000 + n, 9000 + n, null), new PortSpec(20000 + n * 10, 20005 + n * 10, null)] },
                        }
                        : new RuleDef
                        {
                            Action = RuleAction.Allow,
                            Http = new HttpMatchDef([Methods[n % Methods.Length]], [new HttpPathDef(null, $"/admin/{n}")]),
                        };
            }
        }

        private static RuleDef DenyRuleDef(int k) => new()
        {
            Action = RuleAction.Deny,
            ActionText = "Deny",
            Source = new EntityRuleDef { ServiceAccounts = new ServiceAccountMatchDef([$"blocked-{k}"], null) },
        };

        private static RuleDef AllowRuleDef() => new()
        {
            Action = RuleAction.Allow,
            Source = new EntityRuleDef { ServiceAccounts = new ServiceAccountMatchDef(["allowed-client"], null) },
            Destination = new EntityRuleDef { Ports = [new PortSpec(8080, 8080, null)] },
            Http = new HttpMatchDef(["GET"], []),
        };

        // ------------------------------------------------------------------ requests

        /// <summary>A request to bench/api from the workload <paramref name="sourceNs"/>/<paramref name="sourceSa"/> (label
        /// app=<paramref name="sourceApp"/>), over mTLS (its SPIFFE principal), from <paramref name="sourceIp"/>.</summary>
        public static AlpRequest Request(string sourceNs, string sourceSa, string sourceIp, string method, string path, int port = 8080,
            string sourceApp = "frontend") => new()
            {
                SourcePrincipal = $"spiffe://cluster.local/ns/{sourceNs}/sa/{sourceSa}",
                SourceIP = IPAddress.Parse(sourceIp),
                SourcePort = 41000,
                SourceWorkload = new WorkloadInfo(sourceNs, sourceSa, new Dictionary<string, string> { ["app"] = sourceApp }),
                DestinationIP = IPAddress.Parse("10.2.0.7"),
                DestinationPort = port,
                DestinationWorkload = Api,
                Method = method,
                Path = path,
            };

        /// <summary>Matches no rule: every rule of the tier is checked, then the tier's default Deny.</summary>
        public static AlpRequest FullWalk => Request("client", "frontend", "10.1.0.5", "GET", "/api/v1/items");

        /// <summary>Denied by the 4th rule of the first policy.</summary>
        public static AlpRequest EarlyMatch => Request("client", "blocked-0", "10.1.0.6", "GET", "/api/v1/items");

        /// <summary>Allowed by the Allow rule near the end.</summary>
        public static AlpRequest LateAllow => Request("client", "allowed-client", "10.1.0.7", "GET", "/api/v1/items");

        /// <summary>The kind of a mixed-stream request (as generated by <see cref="MixedStream"/>).</summary>
        public static string KindOf(PreparedRequest p)
        {
            var r = p.Request;
            if (r.SourcePrincipal.Contains("/sa/blocked-", StringComparison.Ordinal)) return "deny-listed";
            if (r.SourcePrincipal.EndsWith("/sa/allowed-client", StringComparison.Ordinal)) return "allowed";
            if (r.SourcePrincipal.Contains("/sa/sa-", StringComparison.Ordinal)) return "sa-rule";
            if (r.DestinationPort != 8080) return "port-rule";
            if (r.Method != "GET") return "http-rule";
            if (r.SourceWorkload!.Labels["app"] != "frontend") return "selector";
            return r.SourceIP!.ToString().StartsWith("10.1.", StringComparison.Ordinal) ? "no-match" : "cidr-list";
        }

        /// <summary>A seeded mix: full walks, early and late matches, source IPs inside CIDR lists, selector, service-account,
        /// port and method/path hits.</summary>
        public List<AlpRequest> MixedStream(int count, int seed = 7)
        {
            var rng = new Random(seed);
            var result = new List<AlpRequest>(count);
            for (int i = 0; i < count; i++)
            {
                int kind = rng.Next(10);
                int n = rng.Next(500);
                string ip = $"10.1.{rng.Next(256)}.{rng.Next(1, 255)}";
                string sa = "frontend";
                string method = "GET", path = "/api/v1/items";
                int port = 8080;
                string app = "frontend";
                switch (kind)
                {
                    case 0: sa = "blocked-" + rng.Next(DenyCount); break;
                    case 1: sa = "allowed-client"; break;
                    case 2:
                    case 3:
                        var list = Lists[rng.Next(Lists.Count)];
                        var cidr = list[rng.Next(list.Count)];
                        ip = cidr.Substring(0, cidr.IndexOf('/'));
                        break;
                    case 4: app = "svc-" + n; break;
                    case 5: sa = "sa-" + n; break;
                    case 6: port = 9000 + n; break;
                    case 7: method = Methods[n % Methods.Length]; path = $"/admin/{n}/x"; break;
                    default: break; // full walk
                }
                result.Add(Request("client", sa, ip, method, path, port, app));
            }
            return result;
        }

        private const int DenyCount = 10;
    }
}
