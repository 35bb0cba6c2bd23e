using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;
using YamlDotNet.RepresentationModel;

namespace CalicoAlp.Core.Policy.Loading
{
    /// <summary>
    /// Converts a Kubernetes networking.k8s.io/v1 NetworkPolicy the way Calico does (spec section 3): a namespaced
    /// policy in tier default at order 1000 named <c>knp.default.&lt;name&gt;</c>; podSelector -> selector (plus
    /// <c>projectcalico.org/orchestrator == 'k8s'</c>); peers -> selector/namespaceSelector or nets/notNets;
    /// ports -> protocol + ports (one Calico rule per peer x port); policyTypes -> types.
    /// </summary>
    internal static class KubernetesPolicyConverter
    {
        public const string NamePrefix = "knp.default.";
        public const double Order = 1000;
        private const string Orchestrator = "projectcalico.org/orchestrator == 'k8s'";

        public static PolicyDef Convert(DocContext ctx, string name, string ns, YamlMappingNode? spec, string path, SourceLocation loc,
            PolicyKind kind = PolicyKind.KubernetesNetworkPolicy)
        {
            string selector = Orchestrator;
            var types = new List<PolicyType>();
            var ingress = new List<RuleDef>();
            var egress = new List<RuleDef>();
            bool hasEgress = false;
            if (spec != null)
            {
                var podSel = YamlFields.Map(ctx, spec, "podSelector", path + ".podSelector");
                selector = Join(Orchestrator, LabelSelector(ctx, podSel, path + ".podSelector"));
                var ing = YamlFields.Seq(ctx, spec, "ingress", path + ".ingress");
                if (ing != null) ConvertRules(ctx, ing, path + ".ingress", true, ingress);
                var eg = YamlFields.Seq(ctx, spec, "egress", path + ".egress");
                if (eg != null)
                {
                    hasEgress = true;
                    ConvertRules(ctx, eg, path + ".egress", false, egress);
                }
                var pt = YamlFields.Seq(ctx, spec, "policyTypes", path + ".policyTypes");
                if (pt != null)
                {
                    int i = 0;
                    foreach (var item in pt.Children)
                    {
                        var text = YamlFields.ScalarText(ctx, item, $"{path}.policyTypes[{i}]");
                        if (text == "Ingress") types.Add(PolicyType.Ingress);
                        else if (text == "Egress") types.Add(PolicyType.Egress);
                        else throw ctx.Invalid(item, $"{path}.policyTypes[{i}]", $"'{text}' is not Ingress or Egress");
                        i++;
                    }
                }
            }
            if (types.Count == 0)
            {
                types.Add(PolicyType.Ingress);
                if (hasEgress) types.Add(PolicyType.Egress);
            }
            return new PolicyDef
            {
                Name = NamePrefix + name,
                Namespace = ns,
                Kind = kind,
                Tier = TierDef.DefaultTierName,
                Order = Order,
                Selector = selector,
                Types = types,
                Ingress = ingress,
                Egress = egress,
                Location = loc,
            };
        }

        private static string Join(string a, string b) => b.Length == 0 ? a : a.Length == 0 ? b : a + " && " + b;

        private static string Quote(string v) => v.IndexOf('\'') >= 0 ? "\"" + v + "\"" : "'" + v + "'";

        /// <summary>Kubernetes LabelSelector -> Calico selector text ("" when it selects everything).</summary>
        internal static string LabelSelector(DocContext ctx, YamlMappingNode? sel, string path)
        {
            if (sel == null) return "";
            var parts = new List<string>();
            var labels = YamlFields.Labels(ctx, sel, "matchLabels", path + ".matchLabels");
            var keys = new List<string>(labels.Keys);
            keys.Sort(StringComparer.Ordinal);
            foreach (var k in keys) parts.Add($"{CheckKey(ctx, sel, k, path + ".matchLabels")} == {Quote(labels[k])}");
            var exprs = YamlFields.Seq(ctx, sel, "matchExpressions", path + ".matchExpressions");
            if (exprs != null)
            {
                int i = 0;
                foreach (var item in exprs.Children)
                {
                    string ep = $"{path}.matchExpressions[{i}]";
                    if (item is not YamlMappingNode e) throw ctx.Invalid(item, ep, "expected {key, operator, values}");
                    var key = CheckKey(ctx, e, YamlFields.Str(ctx, e, "key", ep + ".key") ?? "", ep + ".key");
                    var op = YamlFields.Str(ctx, e, "operator", ep + ".operator") ?? "";
                    var values = YamlFields.StrList(ctx, e, "values", ep + ".values");
                    var set = new StringBuilder("{");
                    for (int v = 0; v < values.Count; v++)
                    {
                        if (v > 0) set.Append(", ");
                        set.Append(Quote(values[v]));
                    }
                    set.Append('}');
                    switch (op)
                    {
                        case "In": parts.Add($"{key} in {set}"); break;
                        case "NotIn": parts.Add($"{key} not in {set}"); break;
                        case "Exists": parts.Add($"has({key})"); break;
                        case "DoesNotExist": parts.Add($"! has({key})"); break;
                        default: throw ctx.Invalid(e, ep + ".operator", $"'{op}' is not In, NotIn, Exists or DoesNotExist");
                    }
                    i++;
                }
            }
            var text = string.Join(" && ", parts);
            if (text.Length > 0 && !Selector.TryParse(text, out _))
                throw ctx.Error("InvalidSelector", sel, path, $"cannot convert to a Calico selector: {text}");
            return text;
        }

        private static string CheckKey(DocContext ctx, YamlNode node, string key, string path)
        {
            if (key.Length == 0) throw ctx.Invalid(node, path, "empty label key");
            foreach (char c in key)
            {
                if (!SelectorParser.IsLabelChar(c)) throw ctx.Invalid(node, path, $"label key '{key}' contains '{c}'");
            }
            return key;
        }

        private static void ConvertRules(DocContext ctx, YamlSequenceNode rules, string path, bool ingress, List<RuleDef> output)
        {
            int i = 0;
            foreach (var item in rules.Children)
            {
                string rp = $"{path}[{i}]";
                if (item is not YamlMappingNode r) throw ctx.Invalid(item, rp, "expected a rule object");
                var peers = new List<EntityRuleDef?>();
                var peerSeq = YamlFields.Seq(ctx, r, ingress ? "from" : "to", rp + (ingress ? ".from" : ".to"));
                if (peerSeq != null)
                {
                    int p = 0;
                    foreach (var peerNode in peerSeq.Children)
                    {
                        string pp = $"{rp}.{(ingress ? "from" : "to")}[{p}]";
                        if (peerNode is not YamlMappingNode peer) throw ctx.Invalid(peerNode, pp, "expected a peer object");
                        peers.Add(ConvertPeer(ctx, peer, pp));
                        p++;
                    }
                }
                if (peers.Count == 0) peers.Add(null);

                var ports = new List<(ProtocolSpec Protocol, PortSpec? Port)>();
                var portSeq = YamlFields.Seq(ctx, r, "ports", rp + ".ports");
                if (portSeq != null)
                {
                    int q = 0;
                    foreach (var portNode in portSeq.Children)
                    {
                        string qp = $"{rp}.ports[{q}]";
                        if (portNode is not YamlMappingNode pm) throw ctx.Invalid(portNode, qp, "expected {protocol, port, endPort}");
                        var proto = YamlFields.Str(ctx, pm, "protocol", qp + ".protocol") ?? "TCP";
                        var portText = YamlFields.Str(ctx, pm, "port", qp + ".port");
                        var endPort = YamlFields.Number(ctx, pm, "endPort", qp + ".endPort");
                        PortSpec? port = null;
                        if (!string.IsNullOrEmpty(portText))
                        {
                            if (ctx.Positions && CalicoValues.CheckPort(portText) is { } why) throw ctx.Invalid(YamlFields.Get(pm, "port"), qp + ".port", why);
                            port = PolicyLoader.ParsePort(portText);
                            if (port == null || (port.Min != port.Max && !port.IsNamed)) throw ctx.Invalid(pm, qp + ".port", $"'{portText}' is not a port number or name");
                            if (endPort != null)
                            {
                                int end = (int)endPort.Value;
                                if (port.IsNamed || end < port.Min || end > 65535) throw ctx.Invalid(pm, qp + ".endPort", $"endPort {end} is not valid for port '{portText}'");
                                port = new PortSpec(port.Min, end, null);
                            }
                        }
                        ports.Add((new ProtocolSpec(proto.ToLowerInvariant(), null), port));
                        q++;
                    }
                }
                foreach (var peer in peers)
                {
                    if (ports.Count == 0)
                    {
                        output.Add(MakeRule(ingress, peer, null, null));
                        continue;
                    }
                    foreach (var (proto, port) in ports) output.Add(MakeRule(ingress, peer, proto, port));
                }
                i++;
            }
        }

        private static RuleDef MakeRule(bool ingress, EntityRuleDef? peer, ProtocolSpec? proto, PortSpec? port)
        {
            var local = port == null ? EntityRuleDef.Empty : new EntityRuleDef { Ports = [port] };
            var remote = peer ?? EntityRuleDef.Empty;
            return new RuleDef
            {
                Action = RuleAction.Allow,
                ActionText = "Allow",
                Protocol = proto,
                Source = ingress ? remote : EntityRuleDef.Empty,
                Destination = ingress ? local : MergePorts(remote, port),
            };
        }

        private static EntityRuleDef MergePorts(EntityRuleDef remote, PortSpec? port) => port == null ? remote : remote with { Ports = [port] };

        private static EntityRuleDef ConvertPeer(DocContext ctx, YamlMappingNode peer, string path)
        {
            var ipBlock = YamlFields.Map(ctx, peer, "ipBlock", path + ".ipBlock");
            if (ipBlock != null)
            {
                var cidr = YamlFields.Str(ctx, ipBlock, "cidr", path + ".ipBlock.cidr");
                if (string.IsNullOrEmpty(cidr) || !Evaluation.CidrRange.TryParse(cidr, out _))
                    throw ctx.Invalid(ipBlock, path + ".ipBlock.cidr", $"'{cidr}' is not a CIDR");
                if (ctx.Positions && CalicoValues.CheckNet(cidr) is { } why) throw ctx.Invalid(YamlFields.Get(ipBlock, "cidr"), path + ".ipBlock.cidr", why);
                var except = YamlFields.StrList(ctx, ipBlock, "except", path + ".ipBlock.except");
                return new EntityRuleDef { Nets = [cidr], NotNets = except };
            }
            var podSel = YamlFields.Map(ctx, peer, "podSelector", path + ".podSelector");
            var nsSel = YamlFields.Map(ctx, peer, "namespaceSelector", path + ".namespaceSelector");
            string selector = Join(Orchestrator, LabelSelector(ctx, podSel, path + ".podSelector"));
            if (nsSel == null) return new EntityRuleDef { Selector = selector };
            var ns = LabelSelector(ctx, nsSel, path + ".namespaceSelector");
            return new EntityRuleDef { Selector = selector, NamespaceSelector = ns.Length == 0 ? "all()" : ns };
        }
    }
}
