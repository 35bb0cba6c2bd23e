using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.IO;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;
using CalicoAlp.Core.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CalicoAlp.Core.Policy.Loading
{
    /// <summary>
    /// Reads Calico v3 resources (Tier, GlobalNetworkPolicy, NetworkPolicy, staged kinds, Profile), their
    /// crd.projectcalico.org/v1 stored form, Kubernetes NetworkPolicy (converted as Calico does) and
    /// Namespace/ServiceAccount/Pod objects from YAML or JSON files, multi-document streams, List kinds and folders.
    /// </summary>
    public static class PolicyLoader
    {
        private const string CalicoV3 = "projectcalico.org/v3";
        private const string CalicoCrd = "crd.projectcalico.org/v1";
        private const string K8sNetworking = "networking.k8s.io/v1";
        private const string K8sCore = "v1";

        /// <summary>
        /// Loads one file or a folder (recursively: *.yaml, *.yml, *.json in ordinal path order). Each file is read through
        /// <see cref="InputFile"/> (regular files only, size limit, strict UTF-8); <paramref name="cancellationToken"/>
        /// stops a long load (OperationCanceledException); <paramref name="warning"/> hears about files that hold no object.
        /// </summary>
        public static PolicySet LoadPath(string path, CancellationToken cancellationToken = default, Action<string>? warning = null)
        {
            var builder = new Builder();
            foreach (var f in FilesOf(path)) LoadFile(builder, ReadFile(f, cancellationToken), f, cancellationToken, warning);
            var set = builder.Build();
            CheckUnique(set);
            return set;
        }

        /// <summary>
        /// The files <see cref="LoadPath"/> reads for <paramref name="path"/>, in its order: the file itself, or a folder's
        /// *.yaml, *.yml and *.json files (recursively, ordinal path order). A missing path is a <c>PolicyPathNotFound</c> error.
        /// </summary>
        public static IReadOnlyList<string> FilesOf(string path)
        {
            if (Directory.Exists(path))
            {
                var files = new List<string>();
                foreach (var f in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
                {
                    var ext = Path.GetExtension(f);
                    if (ext.Equals(".yaml", StringComparison.OrdinalIgnoreCase) || ext.Equals(".yml", StringComparison.OrdinalIgnoreCase) ||
                        ext.Equals(".json", StringComparison.OrdinalIgnoreCase))
                    {
                        files.Add(f);
                    }
                }
                files.Sort(StringComparer.Ordinal);
                return files;
            }
            if (File.Exists(path)) return [path];
            throw new AlpException("PolicyPathNotFound", AlpErrorKind.ObjectNotFound, $"Policy path '{path}' does not exist.", path);
        }

        /// <summary>A policy file's text, read through <see cref="InputFile"/> (regular files only, size limit, strict UTF-8).</summary>
        public static string ReadFile(string file, CancellationToken cancellationToken = default) =>
            InputFile.ReadText(file, "policy file", cancellationToken);

        /// <summary>
        /// Every path (file or folder) loaded into one set, which must not define one policy, tier or profile twice
        /// (Calico stores one object per name: error DuplicatePolicyName naming both places).
        /// </summary>
        public static PolicySet LoadPaths(IEnumerable<string> paths, CancellationToken cancellationToken = default, Action<string>? warning = null)
        {
            var set = PolicySet.Empty;
            foreach (var p in paths) set = set.Merge(LoadPath(p, cancellationToken, warning));
            CheckUnique(set);
            return set;
        }

        /// <summary>Throws DuplicatePolicyName when two policies (same kind and namespace), tiers or profiles share a name.</summary>
        public static void CheckUnique(PolicySet set)
        {
            var seen = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
            void Add(string what, string key, string shown, SourceLocation at)
            {
                if (seen.TryGetValue(what + "\n" + key, out var first))
                {
                    throw new AlpException("DuplicatePolicyName", AlpErrorKind.InvalidData,
                        $"{at}: {what} '{shown}' is defined twice (first at {first}); Calico holds one object per name, so the cluster would keep only one of them.",
                        at.ToString())
                    {
                        RecommendedAction = "Remove or rename one of them (a later `kubectl apply` of the same name replaces the earlier object).",
                    };
                }
                seen[what + "\n" + key] = at;
            }
            foreach (var p in set.Policies) Add(p.Kind.ToString(), (p.Namespace ?? "") + "/" + p.Name, p.DisplayName, p.Location);
            foreach (var t in set.Tiers) Add("Tier", t.Name, t.Name, t.Location);
            foreach (var pr in set.Profiles) Add("Profile", pr.Name, pr.Name, pr.Location);
        }

        private static void LoadFile(Builder builder, string text, string file, CancellationToken cancellationToken, Action<string>? warning)
        {
            int before = builder.Count;
            LoadInto(builder, text, file, true, cancellationToken);
            if (builder.Count == before)
            {
                warning?.Invoke($"{file}: the file holds no objects (it is empty or only comments); nothing in it is evaluated.");
            }
        }

        /// <summary>Loads files already read (text and file name, in order) into one set, as <see cref="LoadPath"/> loads a folder's files.</summary>
        public static PolicySet LoadFiles(IEnumerable<(string Text, string File)> files, CancellationToken cancellationToken = default, Action<string>? warning = null)
        {
            var builder = new Builder();
            foreach (var (text, file) in files) LoadFile(builder, text, file, cancellationToken, warning);
            return builder.Build();
        }

        /// <summary>Loads YAML or JSON text (multi-document allowed); <paramref name="file"/> names it in errors.</summary>
        public static PolicySet LoadText(string text, string file = "<input>")
        {
            var builder = new Builder();
            LoadInto(builder, text, file);
            var set = builder.Build();
            CheckUnique(set);
            return set;
        }

        /// <summary>
        /// Loads serialised objects (one each) into one set. An object that cannot be read (a bad field, a selector or
        /// document nested too deep) goes to <paramref name="skipped"/> with our error and is left out; the others load.
        /// Errors name each object's source without line numbers (the text is not the user's).
        /// </summary>
        public static PolicySet LoadObjects(IEnumerable<(string Text, string Source)> objects, Action<string, AlpException> skipped)
        {
            var builder = new Builder();
            foreach (var (text, source) in objects)
            {
                try
                {
                    LoadInto(builder, text, source, positions: false);
                }
                catch (AlpException ex)
                {
                    skipped(source, ex);
                }
            }
            return builder.Build();
        }

        private static void LoadInto(Builder builder, string text, string file, bool positions = true, CancellationToken cancellationToken = default)
        {
            var stream = new YamlStream();
            var trimmed = text.TrimStart();
            if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || trimmed.StartsWith('{') || trimmed.StartsWith('['))
            {
                // JSON is read as YAML (which keeps line numbers). Valid JSON has no raw tabs inside strings, and YAML
                // does not accept tabs as indentation, so tabs become spaces (same columns count, same lines).
                text = text.Replace('\t', ' ');
            }
            try
            {
                // Depth is bounded at the event level, before YamlStream recurses into the nodes.
                stream.Load(new NestingLimitParser(new Parser(new StringReader(text)), InputLimits.DocumentNesting,
                    InputLimits.MaxYamlNodes, InputLimits.MaxYamlDocuments, cancellationToken));
            }
            catch (NestingTooDeepException ex)
            {
                throw ex.ToAlpException(file, positions);
            }
            catch (YamlLimitException ex)
            {
                throw ex.ToAlpException(file, positions);
            }
            catch (ArgumentException ex)
            {
                // YamlMappingNode refuses a key it already holds (JSON and YAML both forbid duplicate keys).
                int line = SyntaxErrorLine(text);
                string where = line > 0 ? $"{file}:{line}" : file;
                throw new AlpException("PolicyFileInvalid", AlpErrorKind.InvalidData, $"{where}: not valid YAML/JSON: {ex.Message}", where, ex);
            }
            catch (Exception ex) when (ex is YamlException || ex is InvalidOperationException)
            {
                int line = ex is YamlException ye ? (int)ye.Start.Line : SyntaxErrorLine(text);
                string where = line > 0 ? $"{file}:{line}" : file;
                throw new AlpException("PolicyFileInvalid", AlpErrorKind.InvalidData,
                    $"{where}: not valid YAML/JSON: {ex.Message}", where, ex);
            }
            for (int d = 0; d < stream.Documents.Count; d++)
            {
                var ctx = new DocContext(file, d, positions);
                var root = stream.Documents[d].RootNode;
                if (YamlFields.IsNull(root)) continue;
                if (root is not YamlMappingNode map) throw ctx.Invalid(root, "", "expected an object with apiVersion and kind");
                ReadObject(builder, ctx, map, "");
            }
        }

        /// <summary>Finds the line of the first syntax error by scanning the raw event stream (0 = unknown).</summary>
        private static int SyntaxErrorLine(string text)
        {
            try
            {
                var parser = new Parser(new StringReader(text));
                while (parser.MoveNext())
                {
                }
            }
            catch (YamlException ex)
            {
                return (int)ex.Start.Line;
            }
            catch (InvalidOperationException)
            {
                return 0;
            }
            return 0;
        }

        private static void ReadObject(Builder b, DocContext ctx, YamlMappingNode obj, string prefix)
        {
            string P(string field) => prefix.Length == 0 ? field : prefix + "." + field;
            var kind = YamlFields.Str(ctx, obj, "kind", P("kind"));
            var apiVersion = YamlFields.Str(ctx, obj, "apiVersion", P("apiVersion")) ?? "";
            if (string.IsNullOrEmpty(kind)) throw ctx.Invalid(obj, P("kind"), "missing 'kind'");

            if (kind == "List" || (kind.EndsWith("List", StringComparison.Ordinal) && YamlFields.Get(obj, "items") != null))
            {
                var items = YamlFields.Seq(ctx, obj, "items", P("items"));
                if (items == null) return;
                int i = 0;
                foreach (var item in items.Children)
                {
                    string itemPath = P($"items[{i}]");
                    if (item is not YamlMappingNode itemMap) throw ctx.Invalid(item, itemPath, "expected an object");
                    // Typed lists (e.g. NetworkPolicyList) may omit kind/apiVersion on items.
                    if (YamlFields.Get(itemMap, "kind") == null && kind != "List")
                    {
                        ReadKind(b, ctx, itemMap, itemPath, kind.Substring(0, kind.Length - 4), apiVersion);
                    }
                    else
                    {
                        ReadObject(b, ctx, itemMap, itemPath);
                    }
                    i++;
                }
                return;
            }
            ReadKind(b, ctx, obj, prefix, kind, apiVersion);
        }

        private static void ReadKind(Builder b, DocContext ctx, YamlMappingNode obj, string prefix, string kind, string apiVersion)
        {
            string P(string field) => prefix.Length == 0 ? field : prefix + "." + field;
            bool calico = apiVersion == CalicoV3 || apiVersion == CalicoCrd;
            bool crd = apiVersion == CalicoCrd;
            var meta = YamlFields.Map(ctx, obj, "metadata", P("metadata"));
            if (meta == null) throw ctx.Invalid(obj, P("metadata"), "missing 'metadata'");
            var name = YamlFields.Str(ctx, meta, "name", P("metadata.name"));
            if (string.IsNullOrEmpty(name)) throw ctx.Invalid(meta, P("metadata.name"), "missing 'metadata.name'");
            var ns = YamlFields.Str(ctx, meta, "namespace", P("metadata.namespace"));
            var spec = YamlFields.Map(ctx, obj, "spec", P("spec"));
            var loc = ctx.Location(obj);

            if (calico)
            {
                switch (kind)
                {
                    case "Tier":
                        b.Tiers.Add(ReadTier(ctx, name, spec, P("spec"), loc));
                        return;
                    case "GlobalNetworkPolicy":
                    case "StagedGlobalNetworkPolicy":
                    case "NetworkPolicy":
                    case "StagedNetworkPolicy":
                        {
                            var pk = Enum.Parse<PolicyKind>(kind);
                            bool namespaced = pk == PolicyKind.NetworkPolicy || pk == PolicyKind.StagedNetworkPolicy;
                            if (namespaced && string.IsNullOrEmpty(ns)) ns = "default";
                            b.Policies.Add(WithStagedAction(ctx, ReadCalicoPolicy(ctx, pk, name, namespaced ? ns : null, spec, P("spec"), loc, crd), spec, P("spec")));
                            return;
                        }
                    case "StagedKubernetesNetworkPolicy":
                        b.Policies.Add(WithStagedAction(ctx, KubernetesPolicyConverter.Convert(ctx, name, string.IsNullOrEmpty(ns) ? "default" : ns, spec, P("spec"), loc,
                            PolicyKind.StagedKubernetesNetworkPolicy), spec, P("spec")));
                        return;
                    case "Profile":
                        {
                            var ingress = spec == null ? [] : ReadRules(ctx, spec, "ingress", P("spec.ingress"));
                            var egress = spec == null ? [] : ReadRules(ctx, spec, "egress", P("spec.egress"));
                            b.Profiles.Add(new ProfileDef(name, ingress, egress, loc));
                            return;
                        }
                }
            }
            else if (apiVersion == K8sNetworking && kind == "NetworkPolicy")
            {
                b.Policies.Add(KubernetesPolicyConverter.Convert(ctx, name, string.IsNullOrEmpty(ns) ? "default" : ns, spec, P("spec"), loc));
                return;
            }
            else if (apiVersion == K8sCore)
            {
                switch (kind)
                {
                    case "Namespace":
                        b.Namespaces.Add(new NamespaceDef(name, YamlFields.Labels(ctx, meta, "labels", P("metadata.labels")), loc));
                        return;
                    case "ServiceAccount":
                        b.ServiceAccounts.Add(new ServiceAccountDef(string.IsNullOrEmpty(ns) ? "default" : ns, name,
                            YamlFields.Labels(ctx, meta, "labels", P("metadata.labels")), loc));
                        return;
                    case "Pod":
                        b.Pods.Add(ReadPod(ctx, obj, meta, name, string.IsNullOrEmpty(ns) ? "default" : ns, spec, prefix, loc));
                        return;
                }
            }
            throw ctx.Error("UnknownKind", obj, P("kind"),
                $"unsupported kind '{kind}' (apiVersion '{apiVersion}'); expected Tier, GlobalNetworkPolicy, NetworkPolicy, " +
                "StagedGlobalNetworkPolicy, StagedNetworkPolicy, StagedKubernetesNetworkPolicy, Profile (projectcalico.org/v3 or crd.projectcalico.org/v1), " +
                "networking.k8s.io/v1 NetworkPolicy, or v1 Namespace, ServiceAccount, Pod");
        }

        /// <summary>A staged policy's spec.stagedAction (Set, the default, or Delete: what promoting it does).</summary>
        private static PolicyDef WithStagedAction(DocContext ctx, PolicyDef policy, YamlMappingNode? spec, string path)
        {
            if (!policy.IsStaged || spec == null) return policy;
            var text = YamlFields.Str(ctx, spec, "stagedAction", path + ".stagedAction");
            if (string.IsNullOrEmpty(text) || text == "Set") return policy;
            if (text == "Delete") return policy with { StagedAction = StagedAction.Delete };
            throw ctx.Invalid(spec, path + ".stagedAction", $"'{text}' is not Set or Delete");
        }

        private static PodDef ReadPod(DocContext ctx, YamlMappingNode obj, YamlMappingNode meta, string name, string ns,
            YamlMappingNode? spec, string prefix, SourceLocation loc)
        {
            string P(string field) => prefix.Length == 0 ? field : prefix + "." + field;
            var labels = YamlFields.Labels(ctx, meta, "labels", P("metadata.labels"));
            string sa = (spec == null ? null : YamlFields.Str(ctx, spec, "serviceAccountName", P("spec.serviceAccountName"))) ?? "default";
            if (sa.Length == 0) sa = "default";
            var ips = new List<string>();
            var status = YamlFields.Map(ctx, obj, "status", P("status"));
            if (status != null)
            {
                var podIps = YamlFields.Seq(ctx, status, "podIPs", P("status.podIPs"));
                if (podIps != null)
                {
                    int i = 0;
                    foreach (var item in podIps.Children)
                    {
                        if (item is YamlMappingNode m)
                        {
                            var ip = YamlFields.Str(ctx, m, "ip", P($"status.podIPs[{i}].ip"));
                            if (!string.IsNullOrEmpty(ip)) ips.Add(ip);
                        }
                        i++;
                    }
                }
                var podIp = YamlFields.Str(ctx, status, "podIP", P("status.podIP"));
                if (!string.IsNullOrEmpty(podIp) && !ips.Contains(podIp)) ips.Add(podIp);
            }
            foreach (var ip in ips)
            {
                if (!System.Net.IPAddress.TryParse(ip, out _)) throw ctx.Invalid(status, P("status.podIPs"), $"'{ip}' is not an IP address");
            }
            var named = new List<NamedPort>();
            var containers = spec == null ? null : YamlFields.Seq(ctx, spec, "containers", P("spec.containers"));
            if (containers != null)
            {
                int c = 0;
                foreach (var item in containers.Children)
                {
                    if (item is YamlMappingNode container)
                    {
                        var ports = YamlFields.Seq(ctx, container, "ports", P($"spec.containers[{c}].ports"));
                        int i = 0;
                        foreach (var portNode in ports?.Children ?? [])
                        {
                            string pp = P($"spec.containers[{c}].ports[{i}]");
                            if (portNode is YamlMappingNode pm && YamlFields.Str(ctx, pm, "name", pp + ".name") is string portName && portName.Length > 0)
                            {
                                var number = YamlFields.Number(ctx, pm, "containerPort", pp + ".containerPort");
                                if (number == null || number < 1 || number > 65535) throw ctx.Invalid(pm, pp + ".containerPort", "a named port needs containerPort 1..65535");
                                var proto = (YamlFields.Str(ctx, pm, "protocol", pp + ".protocol") ?? "TCP").ToLowerInvariant();
                                named.Add(new NamedPort(portName, proto, (int)number.Value));
                            }
                            i++;
                        }
                    }
                    c++;
                }
            }
            return new PodDef(ns, name, sa, labels, ips, loc) { NamedPorts = named };
        }

        private static TierDef ReadTier(DocContext ctx, string name, YamlMappingNode? spec, string path, SourceLocation loc)
        {
            double? order = null;
            var action = RuleAction.Deny;
            if (spec != null)
            {
                order = YamlFields.Number(ctx, spec, "order", path + ".order");
                var da = YamlFields.Str(ctx, spec, "defaultAction", path + ".defaultAction");
                if (!string.IsNullOrEmpty(da))
                {
                    if (da.Equals("Deny", StringComparison.OrdinalIgnoreCase)) action = RuleAction.Deny;
                    else if (da.Equals("Pass", StringComparison.OrdinalIgnoreCase)) action = RuleAction.Pass;
                    else throw ctx.Invalid(YamlFields.Get(spec, "defaultAction"), path + ".defaultAction", $"'{da}' is not Deny or Pass");
                }
            }
            return new TierDef(name, order, action, loc);
        }

        private static PolicyDef ReadCalicoPolicy(DocContext ctx, PolicyKind kind, string name, string? ns, YamlMappingNode? spec,
            string path, SourceLocation loc, bool crd)
        {
            string tier = TierDef.DefaultTierName;
            double? order = null;
            string selector = "", nsSelector = "", saSelector = "";
            var types = new List<PolicyType>();
            IReadOnlyList<RuleDef> ingress = [], egress = [];
            if (spec != null)
            {
                var t = YamlFields.Str(ctx, spec, "tier", path + ".tier");
                if (!string.IsNullOrEmpty(t)) tier = t;
                order = YamlFields.Number(ctx, spec, "order", path + ".order");
                selector = CheckSelector(ctx, spec, "selector", path + ".selector");
                nsSelector = CheckSelector(ctx, spec, "namespaceSelector", path + ".namespaceSelector");
                saSelector = CheckSelector(ctx, spec, "serviceAccountSelector", path + ".serviceAccountSelector");
                var typeSeq = YamlFields.Seq(ctx, spec, "types", path + ".types");
                if (typeSeq != null)
                {
                    int i = 0;
                    foreach (var item in typeSeq.Children)
                    {
                        var text = YamlFields.ScalarText(ctx, item, $"{path}.types[{i}]");
                        if (text.Equals("Ingress", StringComparison.OrdinalIgnoreCase)) types.Add(PolicyType.Ingress);
                        else if (text.Equals("Egress", StringComparison.OrdinalIgnoreCase)) types.Add(PolicyType.Egress);
                        else throw ctx.Invalid(item, $"{path}.types[{i}]", $"'{text}' is not Ingress or Egress");
                        i++;
                    }
                }
                ingress = ReadRules(ctx, spec, "ingress", path + ".ingress");
                egress = ReadRules(ctx, spec, "egress", path + ".egress");
            }
            // The stored (CRD) form names default-tier policies "default.<name>"; the v3 API shows them without it.
            if (crd && tier == TierDef.DefaultTierName && name.StartsWith("default.", StringComparison.Ordinal) && name.Length > 8)
            {
                name = name.Substring(8);
            }
            // calicoctl shows converted Kubernetes policies as NetworkPolicy 'knp.default.<name>'.
            if (kind == PolicyKind.NetworkPolicy && name.StartsWith(KubernetesPolicyConverter.NamePrefix, StringComparison.Ordinal))
            {
                kind = PolicyKind.KubernetesNetworkPolicy;
            }
            return new PolicyDef
            {
                Name = name,
                Namespace = ns,
                Kind = kind,
                Tier = tier,
                Order = order,
                Selector = selector,
                NamespaceSelector = nsSelector,
                ServiceAccountSelector = saSelector,
                Types = types,
                Ingress = ingress,
                Egress = egress,
                Location = loc,
            };
        }

        internal static string CheckSelector(DocContext ctx, YamlMappingNode map, string key, string path)
        {
            var text = YamlFields.Str(ctx, map, key, path);
            if (string.IsNullOrEmpty(text)) return "";
            try
            {
                Selector.Parse(text);
            }
            catch (AlpException ex)
            {
                // InvalidSelector, or NestingTooDeep for a selector nested beyond InputLimits.SelectorNesting.
                throw ctx.Error(ex.ErrorId, YamlFields.Get(map, key), path, ex.Message, AlpErrorKind.InvalidData);
            }
            return text;
        }

        internal static IReadOnlyList<RuleDef> ReadRules(DocContext ctx, YamlMappingNode spec, string key, string path)
        {
            var seq = YamlFields.Seq(ctx, spec, key, path);
            if (seq == null) return [];
            var rules = new List<RuleDef>();
            int i = 0;
            foreach (var item in seq.Children)
            {
                string rp = $"{path}[{i}]";
                if (item is not YamlMappingNode rule) throw ctx.Invalid(item, rp, "expected a rule object");
                rules.Add(ReadRule(ctx, rule, rp, ingress: key == "ingress"));
                i++;
            }
            return rules;
        }

        private static RuleDef ReadRule(DocContext ctx, YamlMappingNode rule, string path, bool ingress)
        {
            var actionText = YamlFields.Str(ctx, rule, "action", path + ".action");
            if (string.IsNullOrEmpty(actionText)) throw ctx.Invalid(rule, path + ".action", "a rule needs an action (Allow, Deny, Pass or Log)");
            RuleAction action = ParseAction(actionText);
            if (action == RuleAction.Unknown)
                throw ctx.Invalid(YamlFields.Get(rule, "action"), path + ".action", $"'{actionText}' is not Allow, Deny, Pass or Log");
            var protocol = ReadProtocol(ctx, rule, "protocol", path + ".protocol");
            var notProtocol = ReadProtocol(ctx, rule, "notProtocol", path + ".notProtocol");
            var src = YamlFields.Map(ctx, rule, "source", path + ".source");
            var dst = YamlFields.Map(ctx, rule, "destination", path + ".destination");
            HttpMatchDef? http = null;
            var httpMap = YamlFields.Map(ctx, rule, "http", path + ".http");
            if (httpMap != null)
            {
                var methods = YamlFields.StrList(ctx, httpMap, "methods", path + ".http.methods");
                var seen = new HashSet<string>(StringComparer.Ordinal);
                for (int m = 0; m < methods.Count; m++)
                {
                    if (methods[m].Length == 0 || methods[m].IndexOf(' ') >= 0)
                        throw ctx.Invalid(httpMap, $"{path}.http.methods[{m}]", $"'{methods[m]}' is not an HTTP method");
                    if (!seen.Add(methods[m])) throw ctx.Invalid(httpMap, $"{path}.http.methods[{m}]", $"duplicate method '{methods[m]}'");
                }
                var paths = new List<HttpPathDef>();
                var pathSeq = YamlFields.Seq(ctx, httpMap, "paths", path + ".http.paths");
                if (pathSeq != null)
                {
                    int p = 0;
                    foreach (var item in pathSeq.Children)
                    {
                        string pp = $"{path}.http.paths[{p}]";
                        if (item is not YamlMappingNode pm) throw ctx.Invalid(item, pp, "expected {exact: ...} or {prefix: ...}");
                        var exact = YamlFields.Str(ctx, pm, "exact", pp + ".exact");
                        var prefix = YamlFields.Str(ctx, pm, "prefix", pp + ".prefix");
                        if ((exact == null) == (prefix == null)) throw ctx.Invalid(pm, pp, "exactly one of 'exact' or 'prefix' is required");
                        var value = (exact ?? prefix)!;
                        if (!value.StartsWith('/') || value.IndexOfAny(['?', '#', ' ']) >= 0)
                            throw ctx.Invalid(pm, pp, $"path '{value}' must start with '/' and must not contain '?', '#' or spaces");
                        paths.Add(new HttpPathDef(exact, prefix));
                        p++;
                    }
                }
                http = new HttpMatchDef(methods, paths);
                // Calico validation (validator.go / CRD CEL): http only on ingress Allow rules, protocol TCP or unset.
                if (!ingress || action != RuleAction.Allow)
                    throw ctx.Invalid(httpMap, path + ".http", "http matches are only allowed on ingress rules with action Allow");
                if (protocol != null && !(protocol.Name == "tcp" || protocol.Number == 6))
                    throw ctx.Invalid(httpMap, path + ".http", $"http matches need protocol TCP (or no protocol), not '{protocol}'");
            }
            var source = src == null ? EntityRuleDef.Empty : ReadEntity(ctx, src, path + ".source");
            var destination = dst == null ? EntityRuleDef.Empty : ReadEntity(ctx, dst, path + ".destination");
            CheckNumericPortsHaveProtocol(ctx, rule, path, protocol, source, "source");
            CheckNumericPortsHaveProtocol(ctx, rule, path, protocol, destination, "destination");
            return new RuleDef
            {
                Action = action,
                ActionText = actionText,
                Protocol = protocol,
                NotProtocol = notProtocol,
                Source = source,
                Destination = destination,
                Http = http,
            };
        }

        /// <summary>Calico validation: numeric ports need protocol TCP, UDP, SCTP or UDPLite; named ports do not.</summary>
        private static void CheckNumericPortsHaveProtocol(DocContext ctx, YamlMappingNode rule, string path, ProtocolSpec? protocol, EntityRuleDef e, string side)
        {
            bool numeric = false;
            foreach (var p in e.Ports) numeric |= !p.IsNamed;
            foreach (var p in e.NotPorts) numeric |= !p.IsNamed;
            if (!numeric) return;
            bool ok = protocol != null && (protocol.Name is "tcp" or "udp" or "sctp" or "udplite" || protocol.Number is 6 or 17 or 132 or 136);
            if (!ok)
                throw ctx.Invalid(rule, $"{path}.{side}.ports", "numeric ports need 'protocol' TCP, UDP, SCTP or UDPLite on the rule");
        }

        internal static RuleAction ParseAction(string text)
        {
            if (text.Equals("Allow", StringComparison.OrdinalIgnoreCase)) return RuleAction.Allow;
            if (text.Equals("Deny", StringComparison.OrdinalIgnoreCase)) return RuleAction.Deny;
            if (text.Equals("Pass", StringComparison.OrdinalIgnoreCase)) return RuleAction.Pass;
            if (text.Equals("Log", StringComparison.OrdinalIgnoreCase)) return RuleAction.Log;
            return RuleAction.Unknown;
        }

        private static ProtocolSpec? ReadProtocol(DocContext ctx, YamlMappingNode rule, string key, string path)
        {
            var node = YamlFields.Get(rule, key);
            if (node == null) return null;
            var text = YamlFields.ScalarText(ctx, node, path);
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                if (n < 1 || n > 255) throw ctx.Invalid(node, path, $"protocol number {n} is outside 1..255");
                return new ProtocolSpec(null, n);
            }
            if (text.Length == 0) throw ctx.Invalid(node, path, "empty protocol");
            if (ctx.Positions && CalicoValues.CheckProtocolName(text) is { } why) throw ctx.Invalid(node, path, why);
            return new ProtocolSpec(text.ToLowerInvariant(), null);
        }

        private static EntityRuleDef ReadEntity(DocContext ctx, YamlMappingNode e, string path)
        {
            // Service matches need Kubernetes Service endpoints (IP-port sets, spec 9.2); ignoring them would widen the rule.
            var services = YamlFields.Get(e, "services");
            if (services != null)
            {
                throw ctx.Error("UnsupportedPolicyFeature", services, path + ".services",
                    "service matches are not supported offline (they need the Service's endpoints); remove the rule or express it with selector/ports");
            }
            var nets = YamlFields.StrList(ctx, e, "nets", path + ".nets");
            var notNets = YamlFields.StrList(ctx, e, "notNets", path + ".notNets");
            var single = YamlFields.Str(ctx, e, "net", path + ".net");
            if (!string.IsNullOrEmpty(single)) nets.Add(single);
            var singleNot = YamlFields.Str(ctx, e, "notNet", path + ".notNet");
            if (!string.IsNullOrEmpty(singleNot)) notNets.Add(singleNot);
            if (ctx.Positions)
            {
                CheckNets(ctx, e, "nets", path);
                CheckNets(ctx, e, "notNets", path);
                CheckNets(ctx, e, "net", path);
                CheckNets(ctx, e, "notNet", path);
            }
            ServiceAccountMatchDef? sa = null;
            var saMap = YamlFields.Map(ctx, e, "serviceAccounts", path + ".serviceAccounts");
            if (saMap != null)
            {
                var names = YamlFields.StrList(ctx, saMap, "names", path + ".serviceAccounts.names");
                var sel = CheckSelector(ctx, saMap, "selector", path + ".serviceAccounts.selector");
                sa = new ServiceAccountMatchDef(names, sel.Length == 0 ? null : sel);
            }
            string? Opt(string s) => s.Length == 0 ? null : s;
            return new EntityRuleDef
            {
                Nets = nets,
                NotNets = notNets,
                Selector = Opt(CheckSelector(ctx, e, "selector", path + ".selector")),
                NotSelector = Opt(CheckSelector(ctx, e, "notSelector", path + ".notSelector")),
                NamespaceSelector = Opt(CheckSelector(ctx, e, "namespaceSelector", path + ".namespaceSelector")),
                Ports = ReadPorts(ctx, e, "ports", path + ".ports"),
                NotPorts = ReadPorts(ctx, e, "notPorts", path + ".notPorts"),
                ServiceAccounts = sa,
            };
        }

        /// <summary>Each CIDR of <paramref name="key"/> (a list, or the single net/notNet) checked as Calico checks it.</summary>
        private static void CheckNets(DocContext ctx, YamlMappingNode e, string key, string path)
        {
            var node = YamlFields.Get(e, key);
            if (node is YamlScalarNode single)
            {
                if (CalicoValues.CheckNet(single.Value ?? "") is { } why) throw ctx.Invalid(single, $"{path}.{key}", why);
                return;
            }
            if (node is not YamlSequenceNode seq) return;
            int i = 0;
            foreach (var item in seq.Children)
            {
                if (item is YamlScalarNode s && CalicoValues.CheckNet(s.Value ?? "") is { } why) throw ctx.Invalid(item, $"{path}.{key}[{i}]", why);
                i++;
            }
        }

        private static List<PortSpec> ReadPorts(DocContext ctx, YamlMappingNode e, string key, string path)
        {
            var result = new List<PortSpec>();
            var seq = YamlFields.Seq(ctx, e, key, path);
            if (seq == null) return result;
            int i = 0;
            foreach (var item in seq.Children)
            {
                string ip = $"{path}[{i}]";
                var text = YamlFields.ScalarText(ctx, item, ip);
                if (ctx.Positions && CalicoValues.CheckPort(text) is { } why) throw ctx.Invalid(item, ip, why);
                result.Add(ParsePort(text) ?? throw ctx.Invalid(item, ip, $"'{text}' is not a port, a range 'min:max' or a port name"));
                i++;
            }
            return result;
        }

        internal static PortSpec? ParsePort(string text)
        {
            int colon = text.IndexOf(':');
            if (colon >= 0)
            {
                if (int.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var lo) &&
                    int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var hi) &&
                    lo >= 0 && hi <= 65535 && lo <= hi)
                {
                    return new PortSpec(lo, hi, null);
                }
                return null;
            }
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return n >= 0 && n <= 65535 ? new PortSpec(n, n, null) : null;
            }
            if (text.Length == 0 || text.Length > 15) return null;
            foreach (char c in text)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-')) return null;
            }
            return new PortSpec(0, -1, text);
        }

        private sealed class Builder
        {
            public List<TierDef> Tiers { get; } = new();
            public List<PolicyDef> Policies { get; } = new();
            public List<ProfileDef> Profiles { get; } = new();
            public List<NamespaceDef> Namespaces { get; } = new();
            public List<ServiceAccountDef> ServiceAccounts { get; } = new();
            public List<PodDef> Pods { get; } = new();

            /// <summary>Objects read so far (to notice a file that held none).</summary>
            public int Count => Tiers.Count + Policies.Count + Profiles.Count + Namespaces.Count + ServiceAccounts.Count + Pods.Count;

            public PolicySet Build() => new()
            {
                Tiers = Tiers,
                Policies = Policies,
                Profiles = Profiles,
                Namespaces = Namespaces,
                ServiceAccounts = ServiceAccounts,
                Pods = Pods,
            };
        }
    }
}
