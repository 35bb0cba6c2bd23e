using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Tests.Policy.Reference
{
    /// <summary>The outcome of the reference evaluator, comparable with the engine's decision.</summary>
    internal sealed record RefDecision(string Verdict, string Status, string? Tier, string? Policy, string? Profile, int RuleIndex);

    /// <summary>
    /// A deliberately plain evaluator that follows docs/spec dikastes-semantics.md sections 2-5 line by line, working on the
    /// uncompiled model with strings, LINQ and re-evaluation everywhere. Used only as a test oracle for the compiled engine.
    /// </summary>
    internal sealed class ReferenceEvaluator
    {
        private readonly PolicySet _set;
        private readonly bool _classic, _normalized, _stagedEnforced, _fullProto, _baseline;

        public ReferenceEvaluator(PolicySet set, string? version)
        {
            _set = set;
            int minor = 99, patch = 0;
            if (!string.IsNullOrEmpty(version))
            {
                var parts = version.TrimStart('v').Split('.');
                minor = int.Parse(parts[1], CultureInfo.InvariantCulture);
                patch = parts.Length > 2 ? int.Parse(parts[2], CultureInfo.InvariantCulture) : 0;
            }
            _classic = minor <= 29;
            _normalized = minor >= 32 || (minor == 31 && patch >= 6);
            _stagedEnforced = minor == 30 || minor == 31 || (minor == 32 && patch <= 1);
            _fullProto = minor >= 31;
            _baseline = minor >= 33;
        }

        // ---- section 2: identity

        private sealed record PeerId(bool Nil, string Name, string Ns);

        private static PeerId PeerOf(string principal)
        {
            if (principal == "") return new PeerId(false, "", "");
            var m = System.Text.RegularExpressions.Regex.Match(principal, "^spiffe://[^/]+/ns/([^/]+)/sa/([^/]+)$");
            if (!m.Success) return new PeerId(true, "", "");
            return new PeerId(false, m.Groups[2].Value, m.Groups[1].Value);
        }

        private Dictionary<string, string> NsLabels(string ns)
        {
            var d = new Dictionary<string, string>();
            var def = _set.Namespaces.FirstOrDefault(n => n.Name == ns);
            if (def != null) foreach (var kv in def.Labels) d[kv.Key] = kv.Value;
            d["projectcalico.org/name"] = ns; // referenced namespaces exist
            return d;
        }

        private Dictionary<string, string> SaLabels(string ns, string sa)
        {
            var d = new Dictionary<string, string>();
            var def = _set.ServiceAccounts.FirstOrDefault(s => s.Namespace == ns && s.Name == sa);
            if (def != null) foreach (var kv in def.Labels) d[kv.Key] = kv.Value;
            d["projectcalico.org/name"] = sa;
            return d;
        }

        // ---- section 3: endpoint labels and applicability

        private Dictionary<string, string> EndpointLabels(WorkloadInfo w)
        {
            var d = new Dictionary<string, string>();
            foreach (var kv in NsLabels(w.Namespace)) d["pcns." + kv.Key] = kv.Value;
            foreach (var kv in SaLabels(w.Namespace, w.ServiceAccount)) d["pcsa." + kv.Key] = kv.Value;
            foreach (var kv in w.Labels) d[kv.Key] = kv.Value;
            d["projectcalico.org/namespace"] = w.Namespace;
            d["projectcalico.org/orchestrator"] = "k8s";
            d["projectcalico.org/serviceaccount"] = w.ServiceAccount;
            return d;
        }

        /// <summary>Evaluates a selector after Felix's rewrite: keys prefixed, all() = has(allKey), global() = !has(allKey).</summary>
        private static bool EvalPrefixed(SelectorNode n, Dictionary<string, string> l, string prefix, string allKey)
        {
            switch (n)
            {
                case AllNode: return l.ContainsKey(allKey);
                case GlobalNode: return !l.ContainsKey(allKey);
                case HasNode h: return l.ContainsKey(prefix + h.Key);
                case NotNode x: return !EvalPrefixed(x.Operand, l, prefix, allKey);
                case JunctionNode j:
                    return j.IsAnd ? j.Operands.All(o => EvalPrefixed(o, l, prefix, allKey)) : j.Operands.Any(o => EvalPrefixed(o, l, prefix, allKey));
                case SetNode s:
                    {
                        bool member = l.TryGetValue(prefix + s.Key, out var v) && s.Values.Contains(v);
                        return s.Negated ? !member : member;
                    }
                case CompareNode c:
                    {
                        var relabelled = new Dictionary<string, string>();
                        if (l.TryGetValue(prefix + c.Key, out var v)) relabelled[c.Key] = v;
                        return c.Evaluate(relabelled);
                    }
                default: throw new InvalidOperationException(n.GetType().Name);
            }
        }

        private static bool Sel(string? text, Dictionary<string, string> l) => string.IsNullOrEmpty(text) || Selector.Parse(text).Matches(l);

        private bool Applies(PolicyDef p, Dictionary<string, string> l)
        {
            if (!Sel(p.Selector, l)) return false;
            if (p.Namespace != null && l["projectcalico.org/namespace"] != p.Namespace) return false;
            if (p.Namespace == null && p.NamespaceSelector != "" &&
                !EvalPrefixed(Selector.Parse(p.NamespaceSelector).Root, l, "pcns.", "projectcalico.org/namespace")) return false;
            if (p.ServiceAccountSelector != "" &&
                !EvalPrefixed(Selector.Parse(p.ServiceAccountSelector).Root, l, "pcsa.", "projectcalico.org/serviceaccount")) return false;
            return true;
        }

        private static bool HasType(PolicyDef p, bool ingress)
        {
            var types = p.Types.Count > 0 ? p.Types.ToList()
                : p.Egress.Count > 0 && p.Ingress.Count > 0 ? new List<PolicyType> { PolicyType.Ingress, PolicyType.Egress }
                : p.Egress.Count > 0 ? new List<PolicyType> { PolicyType.Egress } : new List<PolicyType> { PolicyType.Ingress };
            return types.Contains(ingress ? PolicyType.Ingress : PolicyType.Egress);
        }

        private (double? Order, RuleAction Default) TierInfo(string name)
        {
            var t = _set.Tiers.FirstOrDefault(x => x.Name == name);
            if (t != null) return (t.Order, t.DefaultAction);
            return name switch
            {
                "default" => (1_000_000, RuleAction.Deny),
                _ => (null, RuleAction.Deny),
            };
        }

        private string PolicyKey(PolicyDef p)
        {
            if (_baseline) return $"{p.Name}/{p.Namespace}/{(p.Kind == PolicyKind.KubernetesNetworkPolicy ? "NetworkPolicy" : p.Kind.ToString())}";
            // Older releases sort by the prefixed name; equal names are broken by namespace, then kind (spec 9.6: uncertain).
            var name = p.Tier == "default" && !p.Name.StartsWith("knp.", StringComparison.Ordinal) && !p.Name.StartsWith("default.", StringComparison.Ordinal)
                ? "default." + p.Name : p.Name;
            return name + "\0" + p.Namespace + "\0" + (p.Kind is PolicyKind.KubernetesNetworkPolicy ? "NetworkPolicy" : p.Kind.ToString());
        }

        // ---- section 4

        public RefDecision Evaluate(AlpRequest r)
        {
            bool ingress = r.Direction == TrafficDirection.Ingress;
            var local = ingress ? r.DestinationWorkload : r.SourceWorkload;
            if (local == null) return new RefDecision("Deny", _classic ? "PERMISSION_DENIED" : "INTERNAL", null, null, null, -1);
            var srcPrincipal = r.SourcePrincipal;
            if (!ingress && srcPrincipal == "" && r.SourceWorkload != null)
                srcPrincipal = $"spiffe://cluster.local/ns/{r.SourceWorkload.Namespace}/sa/{r.SourceWorkload.ServiceAccount}";
            var srcPeer = PeerOf(srcPrincipal);
            var dstPeer = PeerOf(r.DestinationPrincipal ?? (r.DestinationWorkload == null ? "" :
                $"spiffe://cluster.local/ns/{r.DestinationWorkload.Namespace}/sa/{r.DestinationWorkload.ServiceAccount}"));
            if (_classic && srcPeer.Nil) return new RefDecision("Deny", "PERMISSION_DENIED", null, null, null, -1);

            var localLabels = EndpointLabels(local);
            // Duplicates (same kind, namespace, name): the last one wins.
            var unique = _set.Policies.Where((p, i) => !_set.Policies.Skip(i + 1).Any(q => q.Kind == p.Kind && q.Namespace == p.Namespace && q.Name == p.Name)).ToList();
            var all = _classic ? unique.Where(p => !p.IsStaged).ToList() : unique;
            var tierNames = all.Where(p => Applies(p, localLabels)).Select(p => p.Tier).Distinct().ToList();
            var sortedTiers = tierNames
                .OrderBy(t => TierInfo(t).Order.HasValue ? 0 : 1)
                .ThenBy(t => TierInfo(t).Order ?? 0)
                .ThenBy(t => t, StringComparer.Ordinal)
                .ToList();
            if (_classic) sortedTiers = sortedTiers.Take(1).ToList();

            var ctx = new Ctx(r, srcPeer, dstPeer);
            foreach (var tier in sortedTiers)
            {
                var list = all
                    .Where(p => p.Tier == tier && Applies(p, localLabels) && HasType(p, ingress))
                    .OrderBy(p => p.Order ?? double.PositiveInfinity)
                    .ThenBy(p => PolicyKey(p), StringComparer.Ordinal)
                    .ToList();
                if (_classic && list.Count == 0) return new RefDecision("Deny", "PERMISSION_DENIED", tier, null, null, -1);
                if (!_stagedEnforced) list = list.Where(p => !p.IsStaged).ToList();
                if (list.Count == 0) continue;
                string? result = null;
                foreach (var p in list)
                {
                    var (outcome, idx) = CheckRules(ingress ? p.Ingress : p.Egress, ctx, p);
                    string name = p.Namespace != null ? p.Namespace + "/" + p.Name : p.Name;
                    if (outcome == "Allow") return new RefDecision("Allow", "OK", tier, name, null, idx);
                    if (outcome == "Deny") return new RefDecision("Deny", "PERMISSION_DENIED", tier, name, null, idx);
                    if (outcome == "Invalid") return new RefDecision("Deny", "INVALID_ARGUMENT", tier, name, null, idx);
                    if (outcome == "Pass") { result = "Pass"; break; }
                }
                if (result == "Pass") continue;
                if (!_classic && TierInfo(tier).Default == RuleAction.Pass) continue;
                return new RefDecision("Deny", "PERMISSION_DENIED", tier, null, null, -1);
            }

            // Step 5: profiles.
            var profileNames = r.Profiles ?? new List<string> { "kns." + local.Namespace, $"ksa.{local.Namespace}.{local.ServiceAccount}" };
            var profiles = new List<ProfileDef>();
            foreach (var n in profileNames)
            {
                var p = _set.Profiles.FirstOrDefault(x => x.Name == n);
                if (p == null && n.StartsWith("kns.", StringComparison.Ordinal))
                    p = new ProfileDef(n, new[] { new RuleDef { Action = RuleAction.Allow } }, new[] { new RuleDef { Action = RuleAction.Allow } }, SourceLocation.None);
                if (p == null && n.StartsWith("ksa.", StringComparison.Ordinal)) p = new ProfileDef(n, Array.Empty<RuleDef>(), Array.Empty<RuleDef>(), SourceLocation.None);
                if (p != null) profiles.Add(p);
            }
            if (profiles.Count == 0) return new RefDecision("Deny", "PERMISSION_DENIED", null, null, null, -1);
            foreach (var p in profiles)
            {
                var (outcome, idx) = CheckRules(ingress ? p.Ingress : p.Egress, ctx, null);
                if (outcome == "Allow") return new RefDecision("Allow", "OK", null, null, p.Name, idx);
                if (outcome == "Deny" || outcome == "Pass") return new RefDecision("Deny", "PERMISSION_DENIED", null, null, p.Name, idx);
                if (outcome == "Invalid") return new RefDecision("Deny", "INVALID_ARGUMENT", null, null, p.Name, idx);
            }
            return new RefDecision("Deny", "PERMISSION_DENIED", null, null, null, -1);
        }

        private sealed record Ctx(AlpRequest R, PeerId Src, PeerId Dst);

        private (string Outcome, int Index) CheckRules(IReadOnlyList<RuleDef> rules, Ctx c, PolicyDef? p)
        {
            for (int i = 0; i < rules.Count; i++)
            {
                var m = Match(rules[i], c, p);
                if (m == "Invalid") return ("Invalid", i);
                if (m != "Match") continue;
                var a = rules[i].Action;
                if (a == RuleAction.Log) continue;
                return (a.ToString(), i);
            }
            return ("None", -1);
        }

        // ---- section 5

        private string Match(RuleDef rule, Ctx c, PolicyDef? p)
        {
            var r = c.R;
            if (!MatchSide(rule, rule.Source, c.Src, r.SourceIP, r.SourcePort, r.SourceWorkload, p)) return "No";
            if (!MatchSide(rule, rule.Destination, c.Dst, r.DestinationIP, r.DestinationPort, r.DestinationWorkload, p)) return "No";
            if (rule.Http != null)
            {
                var methods = rule.Http.Methods;
                if (methods.Count > 0)
                {
                    if (r.Method == null) { if (_classic && !methods.Contains("*")) return "No"; }
                    else if (!methods.Contains("*") && !methods.Contains(r.Method)) return "No";
                }
                if (rule.Http.Paths.Count > 0)
                {
                    if (r.Path == null) { if (_classic) return "Invalid"; }
                    else
                    {
                        if (!r.Path.StartsWith('/')) return "Invalid";
                        if (!rule.Http.Paths.Any(hp => PathMatches(hp, r.Path))) return "No";
                    }
                }
            }
            if (rule.Protocol != null && ProtoNum(rule.Protocol) != r.Protocol) return "No";
            if (rule.NotProtocol != null && ProtoNum(rule.NotProtocol) == r.Protocol) return "No";
            return "Match";
        }

        private int ProtoNum(ProtocolSpec s)
        {
            var names = _fullProto
                ? new Dictionary<string, int> { ["icmp"] = 1, ["icmpv6"] = 58, ["tcp"] = 6, ["udp"] = 17, ["udplite"] = 136, ["sctp"] = 132 }
                : new Dictionary<string, int> { ["icmp"] = 1, ["tcp"] = 6, ["udp"] = 17 };
            if (s.Number.HasValue) return _fullProto || s.Number is 1 or 6 or 17 ? s.Number.Value : -1;
            return names.TryGetValue(s.Name!, out var n) ? n : -1;
        }

        private bool PathMatches(HttpPathDef hp, string requestPath)
        {
            if (!_normalized)
            {
                var req = requestPath.Split('?')[0].Split('#')[0];
                return hp.Exact != null ? req == hp.Exact : req.StartsWith(hp.Prefix!, StringComparison.Ordinal);
            }
            var reqN = Normalize(requestPath);
            var ruleN = Normalize(hp.Exact ?? hp.Prefix!);
            if (reqN == null || ruleN == null) return false;
            if (hp.Exact != null) return reqN == ruleN;
            return reqN == ruleN || ruleN == "/" || reqN.StartsWith(ruleN + "/", StringComparison.Ordinal);
        }

        private static string? Normalize(string path)
        {
            int cut = path.IndexOfAny(new[] { '?', '#' });
            if (cut >= 0) path = path.Substring(0, cut);
            var bytes = new List<byte>();
            for (int i = 0; i < path.Length; i++)
            {
                if (path[i] == '%')
                {
                    if (i + 2 >= path.Length || !Uri.IsHexDigit(path[i + 1]) || !Uri.IsHexDigit(path[i + 2])) return null;
                    bytes.Add(Convert.ToByte(path.Substring(i + 1, 2), 16));
                    i += 2;
                }
                else bytes.AddRange(Encoding.UTF8.GetBytes(path[i].ToString()));
            }
            var s = Encoding.UTF8.GetString(bytes.ToArray());
            var lower = s.ToLowerInvariant();
            if (s.Contains('\0') || lower.Contains("%2e") || lower.Contains("%2f") || lower.Contains("%5c")) return null;
            s = s.Replace('\\', '/');
            var stack = new List<string>();
            foreach (var rawSeg in s.Split('/'))
            {
                var seg = rawSeg.Split(';')[0];
                if (seg == "" || seg == ".") continue;
                if (seg == "..") { if (stack.Count > 0) stack.RemoveAt(stack.Count - 1); continue; }
                stack.Add(seg);
            }
            return "/" + string.Join("/", stack);
        }

        private bool MatchSide(RuleDef rule, EntityRuleDef e, PeerId peer, IPAddress? ip, int port, WorkloadInfo? owner, PolicyDef? p)
        {
            bool np = p?.Namespace != null;
            // 5.2 service accounts
            if (e.ServiceAccounts != null && !peer.Nil && peer.Name != "")
            {
                if (e.ServiceAccounts.Names.Count > 0 && !e.ServiceAccounts.Names.Contains(peer.Name)) return false;
                if (e.ServiceAccounts.Selector != null && !Sel(e.ServiceAccounts.Selector, SaLabels(peer.Ns, peer.Name))) return false;
            }
            // 5.2 namespace
            if (!peer.Nil && peer.Ns != "")
            {
                if (e.NamespaceSelector != null) { if (!Sel(e.NamespaceSelector, NsLabels(peer.Ns))) return false; }
                else if (np && (e.Selector != null || e.NotSelector != null || e.ServiceAccounts != null) && peer.Ns != p!.Namespace) return false;
            }
            // 5.3 IP sets
            bool any = e.Selector != null || e.ServiceAccounts != null || e.NotSelector != null || e.NamespaceSelector != null;
            var labels = owner != null ? EndpointLabels(owner) : null;
            var positive = new List<Func<Dictionary<string, string>, bool>>();
            if (any)
            {
                if (e.NamespaceSelector != null)
                    positive.Add(l => EvalPrefixed(Selector.Parse(e.NamespaceSelector).Root, l, "pcns.", "projectcalico.org/namespace"));
                else if (np) positive.Add(l => l["projectcalico.org/namespace"] == p!.Namespace);
            }
            if (e.ServiceAccounts != null)
            {
                if (e.ServiceAccounts.Selector != null)
                    positive.Add(l => EvalPrefixed(Selector.Parse(e.ServiceAccounts.Selector).Root, l, "pcsa.", "projectcalico.org/serviceaccount"));
                if (e.ServiceAccounts.Names.Count > 0) positive.Add(l => e.ServiceAccounts.Names.Contains(l["projectcalico.org/serviceaccount"]));
            }
            if (e.Selector != null) positive.Add(l => Sel(e.Selector, l));
            if (positive.Count > 0)
            {
                if (e.NotSelector != null) positive.Add(l => !Sel(e.NotSelector, l));
                if (labels == null || !positive.All(f => f(labels))) return false;
            }
            else if (e.NotSelector != null && labels != null && Sel(e.NotSelector, labels)) return false;
            // 5.5 ports
            // Named ports: only classic matched them (IP-port sets of endpoints declaring the name), spec 9.1.
            bool namedOk = _classic && owner != null && e.Ports.Any(x => x.IsNamed && owner.NamedPorts.Any(np => np.Name == x.Name && np.Port == port &&
                (rule.Protocol == null || ProtoNum(rule.Protocol) == ProtoNum(new ProtocolSpec(np.Protocol, null)))));
            if (e.Ports.Count > 0 && !namedOk && !e.Ports.Any(x => !x.IsNamed && port >= x.Min && port <= x.Max)) return false;
            if (!_classic && e.NotPorts.Any(x => !x.IsNamed && port >= x.Min && port <= x.Max)) return false;
            // 5.4 nets
            if (e.Nets.Count > 0)
            {
                if (ip == null) return false;
                var parsed = e.Nets.Select(n => IPNetwork.TryParse(n, out var net) ? (IPNetwork?)net : null).ToList();
                if (parsed.Any(x => x == null) || !parsed.Any(x => x!.Value.Contains(ip))) return false;
            }
            if (!_classic && e.NotNets.Count > 0)
            {
                var parsed = e.NotNets.Select(n => IPNetwork.TryParse(n, out var net) ? (IPNetwork?)net : null).ToList();
                if (parsed.Any(x => x == null)) return false;
                if (ip != null && parsed.Any(x => x!.Value.Contains(ip))) return false;
            }
            return true;
        }
    }
}
