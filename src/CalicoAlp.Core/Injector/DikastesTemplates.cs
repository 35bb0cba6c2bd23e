using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CalicoAlp.Core.Injector
{
    /// <summary>
    /// Calico's current method for Istio 1.22+ (tigera/docs#2435, generations spec §5): two injection templates of its
    /// own, <c>dikastes</c> (workloads, uid 999) and <c>dikastes-gateway</c> (gateways, root), added to the injector
    /// config's <c>templates:</c> map — Pod overlays that add the dikastes container, the dikastes-sock mount on the
    /// (native-sidecar) istio-proxy init container, and the two volumes. Pods opt in with
    /// <c>inject.istio.io/templates: sidecar,dikastes</c>. Every stock template stays byte for byte.
    /// </summary>
    public static class DikastesTemplates
    {
        public const string WorkloadTemplate = Generations.IstioGeneration.DikastesTemplate;
        public const string GatewayTemplate = Generations.IstioGeneration.DikastesGatewayTemplate;

        /// <summary>The first Istio release Calico's current method requires.</summary>
        public static readonly ComponentVersion Since = new(1, 22, 0);

        /// <summary>The annotation a workload's pod template gets, and its value for workloads and gateways.</summary>
        public const string TemplatesAnnotation = Generations.IstioGeneration.TemplatesAnnotation;
        public const string WorkloadAnnotationValue = "sidecar," + WorkloadTemplate;
        public const string GatewayAnnotationValue = "sidecar," + GatewayTemplate;

        public static bool AppliesTo(IstioTemplateVersion istio) => istio.Minor is { } m && m >= Since;

        /// <summary>Which of the two templates the config has (counted as the additions of two templates).</summary>
        public static InjectorPatchState Inspect(string config)
        {
            var lines = Lines(config);
            return StateOf(lines, Entries(lines));
        }

        /// <summary>The config has a dikastes or dikastes-gateway template.</summary>
        public static bool IsPresent(string config) => Entries(Lines(config)).Any(e => e.Name is WorkloadTemplate or GatewayTemplate);

        /// <summary>The body of a template (no indentation), as the docs' IstioOperator has it.</summary>
        public static IReadOnlyList<string> Body(string name, DikastesSidecarOptions options)
        {
            var gateway = name == GatewayTemplate;
            var lines = new List<string>
            {
                "spec:",
                "  containers:",
                "  - name: dikastes",
                "    image: " + options.Image,
                "    args:",
                "    - server",
                "    - -l",
                "    - /var/run/dikastes/dikastes.sock",
                "    - -d",
                "    - /var/run/felix/nodeagent/socket",
                "    securityContext:",
            };
            lines.AddRange(DikastesSidecarOptions.SecurityContextLines(gateway ? DikastesSecurityContext.Root : DikastesSecurityContext.Uid999).Select(l => "      " + l));
            foreach (var probe in new[] { "liveness", "readiness" })
            {
                lines.AddRange(new[] { $"    {probe}Probe:", "      exec:", "        command:", "        - /healthz", "        - " + probe, "      initialDelaySeconds: 3", "      periodSeconds: 3" });
            }
            lines.AddRange(new[]
            {
                "    volumeMounts:", "    - mountPath: /var/run/dikastes", "      name: dikastes-sock", "    - mountPath: /var/run/felix", "      name: felix-sync",
                "  initContainers:", "  - name: istio-proxy", "    volumeMounts:", "    - mountPath: /var/run/dikastes", "      name: dikastes-sock",
                "  volumes:", "  - name: dikastes-sock", "    emptyDir:", "      medium: Memory", "  - name: felix-sync",
            });
            lines.AddRange(options.FelixSync == FelixSyncVolumeKind.Csi
                ? new[] { "    csi:", "      driver: csi.tigera.io" }
                : new[] { "    flexVolume:", "      driver: nodeagent/uds" });
            return lines;
        }

        /// <summary>Adds (or updates in place) both templates at the end of the templates map.</summary>
        public static InjectorEdit Set(string config, DikastesSidecarOptions options, IstioTemplateVersion istio, bool force, string? target)
        {
            var crlf = config.Contains("\r\n", StringComparison.Ordinal);
            var lines = Lines(config);
            var map = MapLine(lines);
            var entries = Entries(lines);
            var customized = new List<DikastesCustomization>();
            var state = StateOf(lines, entries);
            // Replace ours where they are; append the missing ones after the last template.
            var result = new List<string>(lines);
            foreach (var name in new[] { GatewayTemplate, WorkloadTemplate })
            {
                var wanted = Entry(name, options);
                var existing = entries.Where(e => e.Name == name).ToList();
                if (existing.Count > 1) throw InjectorTemplateEditor.Unrecognized($"one '{name}' template in the templates map (found {existing.Count})");
                if (existing.Count == 1)
                {
                    var e = existing[0];
                    var end = TrimBlank(lines, e.Line, e.End);
                    var have = lines.GetRange(e.Line, end - e.Line);
                    if (have.SequenceEqual(wanted, StringComparer.Ordinal)) continue;
                    var extra = Customization(have, name);
                    if (extra.Count > 0)
                    {
                        var c = new DikastesCustomization(e.Line + 1, $"lines that Calico's '{name}' template does not have", extra);
                        if (!force) throw DikastesCustomization.Refusal(new[] { c }, target);
                        customized.Add(c);
                    }
                    result.RemoveRange(e.Line, end - e.Line);
                    result.InsertRange(e.Line, wanted);
                }
            }
            // Entries were replaced in place with the same start lines; now append what is missing (workload first).
            var after = Lines(string.Join("\n", result));
            var now = Entries(after);
            var append = new List<string>();
            foreach (var name in new[] { WorkloadTemplate, GatewayTemplate })
            {
                if (!now.Any(e => e.Name == name)) append.AddRange(Entry(name, options));
            }
            if (append.Count > 0)
            {
                var last = now.Count > 0 ? TrimBlank(after, now[^1].Line, now[^1].End) : map + 1;
                after.InsertRange(last, append);
            }
            var text = string.Join(crlf ? "\r\n" : "\n", after);
            var action = string.Equals(text, config, StringComparison.Ordinal) ? InjectorEditAction.Unchanged
                : state.IsPatched ? InjectorEditAction.Updated : InjectorEditAction.Created;
            if (action != InjectorEditAction.Unchanged) Prove(config, text, options);
            return new InjectorEdit(config, text, action, state, istio, "{{ }}", customized);
        }

        /// <summary>Takes both templates out (whatever their content: they are Calico's by name).</summary>
        public static InjectorEdit Remove(string config, IstioTemplateVersion istio)
        {
            var crlf = config.Contains("\r\n", StringComparison.Ordinal);
            var lines = Lines(config);
            var entries = Entries(lines);
            var state = StateOf(lines, entries);
            var result = new List<string>(lines);
            foreach (var e in entries.Where(e => e.Name is WorkloadTemplate or GatewayTemplate).OrderByDescending(e => e.Line))
            {
                result.RemoveRange(e.Line, TrimBlank(lines, e.Line, e.End) - e.Line);
            }
            var text = string.Join(crlf ? "\r\n" : "\n", result);
            var action = state.IsPatched ? InjectorEditAction.Removed : InjectorEditAction.Unchanged;
            if (action == InjectorEditAction.Removed && IsPresent(text))
            {
                throw new AlpException(InjectorTemplateEditor.UnprovableErrorId, AlpErrorKind.InvalidData, "Refusing to write the injector config: a dikastes template would remain after removal.");
            }
            return new InjectorEdit(config, text, action, state, istio, "{{ }}");
        }

        /// <summary>
        /// The GitOps form of the templates, for an install that renders the ConfigMap itself (istioctl/operator, Helm):
        /// an IstioOperator overlay with <c>spec.values.sidecarInjectorWebhook.templates</c>, or the istiod chart's values
        /// <c>sidecarInjectorWebhook.templates</c>. No profile is set, so it merges into the user's own IstioOperator.
        /// </summary>
        public static string Overlay(DikastesSidecarOptions options, OverlayFormat format)
        {
            var lines = new List<string>
            {
                "# Calico application layer policy: the dikastes injection templates (CalicoAlp, Calico " + options.CalicoVersion + ").",
                "# Pods opt in with the annotation " + TemplatesAnnotation + ": " + WorkloadAnnotationValue + " (gateways: " + GatewayAnnotationValue + ").",
            };
            int indent;
            if (format == OverlayFormat.IstioOperator)
            {
                lines.AddRange(new[] { "apiVersion: install.istio.io/v1alpha1", "kind: IstioOperator", "metadata:", "  name: calico-dikastes", "  namespace: istio-system", "spec:", "  values:", "    sidecarInjectorWebhook:", "      templates:" });
                indent = 8;
            }
            else
            {
                lines.AddRange(new[] { "sidecarInjectorWebhook:", "  templates:" });
                indent = 4;
            }
            foreach (var name in new[] { WorkloadTemplate, GatewayTemplate })
            {
                lines.Add(new string(' ', indent) + name + ": |");
                lines.AddRange(Body(name, options).Select(l => new string(' ', indent + 2) + l));
            }
            return string.Join("\n", lines) + "\n";
        }

        /// <summary>One template entry of the map: "  name: |" and its body at indent 4.</summary>
        internal static List<string> Entry(string name, DikastesSidecarOptions options)
        {
            var lines = new List<string> { $"  {name}: |" };
            lines.AddRange(Body(name, options).Select(l => "    " + l));
            return lines;
        }

        /// <summary>The lines of an existing template that Calico's (any image, either felix-sync volume) does not have.</summary>
        private static List<string> Customization(List<string> have, string name)
        {
            var best = (List<string>?)null;
            foreach (var calico in new[] { "3.22.0", "3.23.0" })
            {
                var form = Entry(name, DikastesSidecarOptions.From(calico, DikastesSidecarOptions.ImagePlaceholder + ":v" + calico))
                    .Select(Normalise).GroupBy(l => l, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
                var extra = new List<string>();
                foreach (var l in have.Where(l => l.Trim().Length > 0))
                {
                    var n = Normalise(l);
                    if (form.TryGetValue(n, out var c) && c > 0) form[n] = c - 1;
                    else extra.Add(l);
                }
                if (best == null || extra.Count < best.Count) best = extra;
            }
            return best!;
        }

        private static string Normalise(string line)
        {
            var t = line.TrimStart(' ');
            return t.StartsWith("image:", StringComparison.Ordinal) ? line[..(line.Length - t.Length)] + "image: <image>" : line;
        }

        private static InjectorPatchState StateOf(List<string> lines, List<(string Name, int Line, int End)> entries)
        {
            var ours = entries.Where(e => e.Name is WorkloadTemplate or GatewayTemplate).ToList();
            string? image = null;
            FelixSyncVolumeKind? felix = null;
            foreach (var e in ours)
            {
                foreach (var l in lines.Skip(e.Line).Take(e.End - e.Line).Select(l => l.Trim()))
                {
                    if (image == null && l.StartsWith("image:", StringComparison.Ordinal)) image = l["image:".Length..].Trim().Trim('"', '\'');
                    if (felix == null && l == "csi:") felix = FelixSyncVolumeKind.Csi;
                    if (felix == null && l == "flexVolume:") felix = FelixSyncVolumeKind.FlexVolume;
                }
            }
            var n = ours.Count;
            return new InjectorPatchState(n, n, n, n, image, felix, 2) { CompleteOverride = n == 2 };
        }

        private static void Prove(string before, string after, DikastesSidecarOptions options)
        {
            var b = Decode(before);
            var a = Decode(after);
            // A config that ends without a newline (Helm's `config: |-`) ends inside its last template; the templates
            // appended after it give that template's last line its line break: its value gains a final "\n", nothing else.
            var lastStock = Entries(Lines(before)).Select(e => e.Name).LastOrDefault();
            var openEnd = !before.EndsWith('\n');
            var lastAfter = Entries(Lines(after)).Select(e => e.Name).LastOrDefault();
            foreach (var (name, value) in b)
            {
                if (name is WorkloadTemplate or GatewayTemplate) continue;
                var same = a.TryGetValue(name, out var v) && (string.Equals(v, value, StringComparison.Ordinal) ||
                    (openEnd && name == lastStock && string.Equals(v, value + "\n", StringComparison.Ordinal)));
                if (!same)
                {
                    throw new AlpException(InjectorTemplateEditor.UnprovableErrorId, AlpErrorKind.InvalidData, $"Refusing to write the injector config: the stock template '{name}' would change.");
                }
            }
            foreach (var name in new[] { WorkloadTemplate, GatewayTemplate })
            {
                var want = string.Join("\n", Body(name, options)) + "\n";
                // at the open end of the config the last template has no final line break
                if (!a.TryGetValue(name, out var v) || !(string.Equals(v, want, StringComparison.Ordinal) || (openEnd && name == lastAfter && string.Equals(v + "\n", want, StringComparison.Ordinal))))
                {
                    throw new AlpException(InjectorTemplateEditor.UnprovableErrorId, AlpErrorKind.InvalidData, $"Refusing to write the injector config: the '{name}' template would not decode to Calico's.");
                }
            }
            if (a.Count != b.Keys.Count(k => k is not (WorkloadTemplate or GatewayTemplate)) + 2)
            {
                throw new AlpException(InjectorTemplateEditor.UnprovableErrorId, AlpErrorKind.InvalidData, "Refusing to write the injector config: the set of templates would change.");
            }
        }

        /// <summary>The templates map of a config, decoded: name to template text.</summary>
        internal static Dictionary<string, string> Decode(string config)
        {
            YamlMappingNode? root;
            try
            {
                root = InjectorTemplateEditor.LoadConfig(config);
            }
            catch (YamlException ex) when (ex is not Yaml.YamlLimitException)
            {
                throw new AlpException(InjectorTemplateEditor.UnprovableErrorId, AlpErrorKind.InvalidData, $"Refusing to write the injector config: it would not parse as YAML ({ex.Message}).");
            }
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root == null) return result;
            if (!root.Children.TryGetValue(new YamlScalarNode("templates"), out var node) || node is not YamlMappingNode map) return result;
            foreach (var (k, v) in map.Children)
            {
                if (k is YamlScalarNode ks && v is YamlScalarNode vs) result[ks.Value ?? ""] = vs.Value ?? "";
            }
            return result;
        }

        private static List<string> Lines(string config) => config.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();

        private static int MapLine(List<string> lines)
        {
            var map = lines.FindIndex(l => l.TrimEnd(' ') == "templates:");
            if (map < 0) throw InjectorTemplateEditor.Unrecognized("a 'templates:' map in the config (Istio 1.22+ keeps its injection templates there)");
            return map;
        }

        private static List<(string Name, int Line, int End)> Entries(List<string> lines)
        {
            var map = lines.FindIndex(l => l.TrimEnd(' ') == "templates:");
            return map < 0 ? new List<(string, int, int)>() : InjectorTemplateEditor.Layout.MapEntries(lines, map);
        }

        /// <summary>The end of an entry without its trailing blank lines.</summary>
        private static int TrimBlank(List<string> lines, int start, int end)
        {
            while (end > start + 1 && lines[end - 1].Trim().Length == 0) end--;
            return end;
        }
    }
}
