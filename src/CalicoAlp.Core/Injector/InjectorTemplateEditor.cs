using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CalicoAlp.Core.Injector
{
    /// <summary>What an edit did to the injector config.</summary>
    public enum InjectorEditAction
    {
        Unchanged,
        /// <summary>None of the three additions was there; all were inserted.</summary>
        Created,
        /// <summary>Some or all additions were there but differed (another image, volume, securityContext); replaced in place.</summary>
        Updated,
        Removed,
        /// <summary>The config saved in the backup was put back (Remove-IstioInjectorPatch -FromBackup).</summary>
        Restored,
    }

    /// <summary>The three Calico additions as found in a template.</summary>
    public sealed class InjectorPatchState
    {
        internal InjectorPatchState(int proxyMounts, int containers, int socketVolumes, int felixSyncVolumes, string? image, FelixSyncVolumeKind? felixSync, int templates = 1)
        {
            Templates = templates;
            ProxyMounts = proxyMounts;
            DikastesContainers = containers;
            SocketVolumes = socketVolumes;
            FelixSyncVolumes = felixSyncVolumes;
            Image = image;
            FelixSync = felixSync;
        }

        public int ProxyMounts { get; }
        public int DikastesContainers { get; }
        public int SocketVolumes { get; }
        public int FelixSyncVolumes { get; }
        /// <summary>The image of the (first) dikastes container, if any.</summary>
        public string? Image { get; }
        public FelixSyncVolumeKind? FelixSync { get; }
        /// <summary>How many templates were inspected (1, or 2 for the sidecar and gateway templates of Istio 1.9+).</summary>
        public int Templates { get; }
        public bool IsPatched => ProxyMounts + DikastesContainers + SocketVolumes + FelixSyncVolumes > 0;
        /// <summary>Every template has each addition exactly once.</summary>
        public bool IsCompletelyPatched => CompleteOverride ?? (ProxyMounts == 1 && DikastesContainers == 1 && SocketVolumes == 1 && FelixSyncVolumes == 1);

        /// <summary>Set for combined states: every template complete.</summary>
        internal bool? CompleteOverride { get; init; }

        /// <summary>The states of several templates as one (counts summed; complete when each template is).</summary>
        internal static InjectorPatchState Combine(IEnumerable<InjectorPatchState> states)
        {
            var list = states.ToList();
            if (list.Count == 1) return list[0];
            return new InjectorPatchState(list.Sum(s => s.ProxyMounts), list.Sum(s => s.DikastesContainers), list.Sum(s => s.SocketVolumes), list.Sum(s => s.FelixSyncVolumes),
                list.Select(s => s.Image).FirstOrDefault(i => i != null), list.Select(s => s.FelixSync).FirstOrDefault(f => f != null), list.Count)
            {
                CompleteOverride = list.All(s => s.IsCompletelyPatched),
            };
        }
    }

    /// <summary>The outcome of <see cref="InjectorTemplateEditor.Set"/> or <see cref="InjectorTemplateEditor.Remove"/>.</summary>
    public sealed class InjectorEdit
    {
        internal InjectorEdit(string before, string after, InjectorEditAction action, InjectorPatchState stateBefore, IstioTemplateVersion istio, string delimiters,
            IReadOnlyList<DikastesCustomization>? replaced = null)
        {
            ReplacedCustomizations = replaced ?? Array.Empty<DikastesCustomization>();
            Before = before;
            After = after;
            Action = action;
            StateBefore = stateBefore;
            IstioVersion = istio;
            Delimiters = delimiters;
        }

        /// <summary>The config text as given.</summary>
        public string Before { get; }
        /// <summary>The config text after the edit (equal to <see cref="Before"/> when unchanged).</summary>
        public string After { get; }
        public InjectorEditAction Action { get; }
        public InjectorPatchState StateBefore { get; }
        public IstioTemplateVersion IstioVersion { get; }
        /// <summary>"{{ }}" or "[[ ]]".</summary>
        public string Delimiters { get; }
        public bool Changed => !string.Equals(Before, After, StringComparison.Ordinal);

        /// <summary>
        /// Customised dikastes containers this edit replaced (only with force; without it Set refuses). The caller keeps
        /// <see cref="Before"/> where it can be recovered (backup ConfigMap key, or the input file).
        /// </summary>
        public IReadOnlyList<DikastesCustomization> ReplacedCustomizations { get; }
    }

    /// <summary>
    /// Surgical, version-independent edit of the Istio sidecar injector config (the ConfigMap's <c>data.config</c>: a
    /// YAML document whose <c>template</c> is a Go template), or of a bare injection template. It inserts exactly Calico's
    /// three additions — (a) the dikastes-sock mount on istio-proxy, (b) the dikastes container after istio-proxy, (c)
    /// the dikastes-sock and felix-sync pod volumes — where Calico's own files have them, and leaves every other byte
    /// alone. Text is edited line by line around the unique pod-level <c>volumes:</c> line of the template; the result is
    /// then proven (config parses as YAML, Go-template actions balanced as before, exactly one of each addition, and
    /// removing the additions gives back exactly the unpatched text) or refused.
    /// </summary>
    public static class InjectorTemplateEditor
    {
        public const string UnrecognizedErrorId = "InjectorTemplateUnrecognized";
        public const string UnprovableErrorId = "InjectorTemplateUnprovable";

        private static readonly Regex TemplateKey = new(@"^(?<i> *)template:(?<rest>.*)$", RegexOptions.CultureInvariant);
        private static readonly Regex BlockHeader = new(@"^ *(?<h>\|[-+]?[1-9]?|\|[1-9]?[-+]?) *(#.*)?$", RegexOptions.CultureInvariant);
        private static readonly Regex ItemName = new(@"^- name: *(?<q>[""']?)(?<n>[A-Za-z0-9._-]+)\k<q> *$", RegexOptions.CultureInvariant);
        private static readonly Regex KeyName = new(@"^name: *(?<q>[""']?)(?<n>[A-Za-z0-9._-]+)\k<q> *$", RegexOptions.CultureInvariant);
        private static readonly Regex MappingKey = new(@"^[A-Za-z_][A-Za-z0-9_.-]*:( |$)", RegexOptions.CultureInvariant);

        /// <summary>Which of the additions a template has.</summary>
        public static InjectorPatchState Inspect(string config)
        {
            if (DikastesTemplates.IsPresent(config)) return DikastesTemplates.Inspect(config);
            return InjectorPatchState.Combine(Layout.RegionNames(config).Select(r => Find(Layout.Parse(config, null, r)).State));
        }

        /// <summary>Like <see cref="Inspect"/>, but an unrecognised template gives an empty state instead of an error.</summary>
        public static InjectorPatchState TryInspect(string config)
        {
            try
            {
                return Inspect(config);
            }
            catch (AlpException)
            {
                return new InjectorPatchState(0, 0, 0, 0, null, null);
            }
        }

        /// <summary>
        /// Inserts (or updates in place) the three additions, in the single <c>template</c> (Istio 1.0-1.8) or in both
        /// the <c>sidecar</c> and <c>gateway</c> templates of the <c>templates</c> map (1.9+; every other template is
        /// left alone). <paramref name="istio"/> overrides the detected Istio version (it decides Calico's placement for
        /// 1.0.x and the securityContext form of 1.11+). A customised dikastes container (<see cref="DikastesCustomization"/>)
        /// is refused with error <see cref="DikastesCustomization.ErrorId"/> naming <paramref name="target"/>, unless
        /// <paramref name="force"/>: then it is replaced and listed in <see cref="InjectorEdit.ReplacedCustomizations"/>.
        /// </summary>
        public static InjectorEdit Set(string config, DikastesSidecarOptions options, IstioTemplateVersion? istio = null, string? valuesJson = null,
            bool force = false, string? target = null)
        {
            ArgumentNullException.ThrowIfNull(options);
            istio ??= IstioTemplateVersion.Detect(config, valuesJson);
            if (DikastesTemplates.AppliesTo(istio))
            {
                // Istio 1.22+: Calico's own templates next to the stock ones (which stay untouched).
                return DikastesTemplates.Set(config, options, istio, force, target);
            }
            var regions = Layout.RegionNames(config);
            var text = config;
            var states = new List<InjectorPatchState>();
            var customized = new List<DikastesCustomization>();
            var delimiters = "";
            // Last template first: the line numbers of the templates before it stay those of the input.
            for (var i = regions.Count - 1; i >= 0; i--)
            {
                var (after, state, replaced, delims) = SetRegion(text, config, regions[i], options, istio, force, target);
                text = after;
                states.Insert(0, state);
                customized.InsertRange(0, replaced);
                delimiters = delims;
            }
            var before = InjectorPatchState.Combine(states);
            var action = string.Equals(text, config, StringComparison.Ordinal)
                ? InjectorEditAction.Unchanged
                : before.IsPatched ? InjectorEditAction.Updated : InjectorEditAction.Created;
            if (action != InjectorEditAction.Unchanged)
            {
                Prove(config, text, CleanText(config), expectPatched: true);
            }
            return new InjectorEdit(config, text, action, before, istio, delimiters, customized);
        }

        /// <summary>The securityContext form Calico's file for this Istio release uses in this template.</summary>
        internal static DikastesSecurityContext SecurityContextFor(string region, IstioTemplateVersion istio, DikastesSidecarOptions options)
        {
            // The 1.15 file (Calico 3.25+, PR #6890) runs dikastes as uid 999 in sidecars and as root in gateways; the
            // 1.9/1.10 files keep the older form. Istio 1.11-1.21 have the 1.15 layout (grpc templates included).
            if (istio.Minor is { } m && m >= new ComponentVersion(1, 11, 0))
            {
                return region == "gateway" ? DikastesSecurityContext.Root : DikastesSecurityContext.Uid999;
            }
            return options.DefaultSecurityContext;
        }

        private static (string After, InjectorPatchState State, IReadOnlyList<DikastesCustomization> Customized, string Delimiters) SetRegion(
            string text, string original, string region, DikastesSidecarOptions options, IstioTemplateVersion istio, bool force, string? target)
        {
            var t = Layout.Parse(text, original, region);
            var found = Find(t);
            var b = t.BaseIndent;
            var form = SecurityContextFor(region, istio, options);
            var wantedContainer = options.ContainerLines(b, form);
            var customized = DikastesCustomization.Find(found.Containers, DikastesSidecarOptions.KnownContainerForms(b), wantedContainer);
            if (customized.Count > 0 && !force) throw DikastesCustomization.Refusal(customized, target);
            var clean = found.Clean;

            // Anchors in the clean (unpatched) text.
            var ct = Layout.Parse(t.Join(clean), original, region);
            var v = ct.VolumesLine;
            var proxyEnd = ct.FindIstioProxy(v);

            var inserts = new List<(int At, int Order, IReadOnlyList<string> Lines)>();
            // An addition found past the end of istio-proxy (Calico v3.17/v3.18's 1.7 file put them after the dnsConfig
            // block, issue #4508) is moved back; elsewhere an existing addition keeps its place.
            var mountAt = found.MountAt is int fm && fm <= proxyEnd ? fm : proxyEnd;
            var containerAt = found.ContainerAt is int fc && fc <= proxyEnd ? fc : proxyEnd;
            int volumesAt;
            if (found.VolumesAt is int at) volumesAt = at;
            else volumesAt = istio.IsIstio10 && !ct.IsMapTemplate ? v + 1 : ct.EndOfVolumeList(v);

            var volumeLines = new List<string>(options.SocketVolumeLines(b));
            volumeLines.AddRange(options.FelixSyncVolumeLines(b));
            // Calico's includes: the *-indented ones (templates map) and the 3.23+ CSI one end with a blank line.
            if ((options.BlankLineAfterVolumes || ct.IsMapTemplate) && ct.HasContentFrom(volumesAt)) volumeLines.Add("");
            var containerLines = new List<string>(wantedContainer) { "" };
            var mountLines = new List<string>(options.ProxyMountLines(b));
            if (ct.IsMapTemplate) mountLines.Add("");

            // An addition that is already there with the wanted content keeps its exact lines (blank lines included),
            // so a template patched by hand or by another tool with the same image stays Unchanged.
            inserts.Add((volumesAt, 0, found.KeepIfSame(volumeLines, Kind.SocketVolume, Kind.FelixSyncVolume)));
            inserts.Add((containerAt, 1, found.KeepIfSame(containerLines, Kind.Container)));
            inserts.Add((mountAt, 2, found.KeepIfSame(mountLines, Kind.Mount)));

            var result = new List<string>(clean);
            foreach (var ins in inserts.OrderByDescending(i => i.At).ThenBy(i => i.Order))
            {
                result.InsertRange(ins.At, ins.Lines);
            }
            return (t.Join(result), found.State, customized, t.Delimiters);
        }

        /// <summary>Takes out exactly the three additions (also as Calico's own files had them), from every patched template.</summary>
        public static InjectorEdit Remove(string config, string? valuesJson = null)
        {
            var istio = IstioTemplateVersion.Detect(config, valuesJson);
            if (DikastesTemplates.IsPresent(config))
            {
                var templates = DikastesTemplates.Remove(config, istio);
                if (!TryInspect(templates.After).IsPatched) return templates;
                // Both methods were applied: the inline additions go too.
                var inline = Remove(templates.After, valuesJson);
                return new InjectorEdit(config, inline.After, InjectorEditAction.Removed, InjectorPatchState.Combine(new[] { templates.StateBefore, inline.StateBefore }), istio, inline.Delimiters);
            }
            var regions = Layout.RegionNames(config);
            var states = regions.Select(r => Find(Layout.Parse(config, null, r)).State).ToList();
            var after = CleanText(config);
            var state = InjectorPatchState.Combine(states);
            var action = state.IsPatched ? InjectorEditAction.Removed : InjectorEditAction.Unchanged;
            if (action == InjectorEditAction.Removed)
            {
                Prove(config, after, after, expectPatched: false);
            }
            return new InjectorEdit(config, after, action, state, istio, Layout.Parse(config, null, regions[0]).Delimiters);
        }

        /// <summary>The config with the additions taken out of every template.</summary>
        private static string CleanText(string config)
        {
            var text = config;
            var regions = Layout.RegionNames(config);
            for (var i = regions.Count - 1; i >= 0; i--)
            {
                var t = Layout.Parse(text, config, regions[i]);
                text = t.Join(Find(t).Clean);
            }
            return text;
        }

        // ---------------------------------------------------------------- proof

        private static void Prove(string before, string after, string clean, bool expectPatched)
        {
            var regions = Layout.RegionNames(after);
            if (!regions.SequenceEqual(Layout.RegionNames(before), StringComparer.Ordinal))
            {
                throw Unprovable("the set of templates would change");
            }
            foreach (var region in regions)
            {
                var t = Layout.Parse(after, before, region);
                var s = Find(t).State;
                if (expectPatched && !s.IsCompletelyPatched)
                {
                    throw Unprovable($"the '{region}' template would have {s.DikastesContainers} dikastes container(s), {s.ProxyMounts} istio-proxy dikastes-sock mount(s), " +
                                     $"{s.SocketVolumes} dikastes-sock and {s.FelixSyncVolumes} felix-sync volume(s) instead of one each");
                }
                if (!expectPatched && s.IsPatched)
                {
                    throw Unprovable($"dikastes additions would remain in the '{region}' template after removal");
                }
            }
            if (!string.Equals(CleanText(after), clean, StringComparison.Ordinal))
            {
                throw Unprovable("removing the additions from the result does not give back the unpatched template");
            }

            foreach (var region in regions)
            {
                ProveRegion(before, after, region);
            }
        }

        private static void ProveRegion(string before, string after, string region)
        {
            var t = Layout.Parse(after, before, region);
            var beforeTemplate = Layout.Parse(before, null, region).TemplateText();
            var afterTemplate = t.TemplateText();
            var problemBefore = GoTemplateCheck.FindProblem(beforeTemplate, out var actionsBefore);
            var problemAfter = GoTemplateCheck.FindProblem(afterTemplate, out var actionsAfter);
            if (problemBefore != null)
            {
                throw new AlpException(UnrecognizedErrorId, AlpErrorKind.InvalidData,
                    $"The injector template's Go-template actions are not balanced ({problemBefore}); it is not edited, because the result could not be proven well-formed.");
            }
            if (problemAfter != null || actionsAfter != actionsBefore)
            {
                throw Unprovable($"the Go-template actions would not stay balanced ({problemAfter ?? $"{actionsBefore} actions before, {actionsAfter} after"})");
            }

            if (t.KeyLine >= 0)
            {
                // The config is YAML: it must parse, and its template must decode to exactly the edited body.
                string? decoded;
                try
                {
                    decoded = DecodeTemplate(after, region);
                }
                catch (YamlException ex)
                {
                    throw Unprovable($"the config would not parse as YAML ({ex.Message})");
                }
                // When the original template decodes to exactly its body lines, the result must too.
                var oldDecoded = DecodeTemplate(before, region);
                var literal = oldDecoded != null && string.Equals(Chomped(oldDecoded), Chomped(beforeTemplate), StringComparison.Ordinal);
                if (decoded == null || (literal && !string.Equals(Chomped(decoded), Chomped(afterTemplate), StringComparison.Ordinal)))
                {
                    throw Unprovable("the config's template would not decode to the edited text");
                }
            }

            // The template itself with its actions blanked out: if the original parsed as YAML, so must the result.
            if (TemplateSkeletonParses(beforeTemplate) && !TemplateSkeletonParses(afterTemplate))
            {
                throw Unprovable("the template (actions blanked out) would no longer parse as YAML");
            }
        }

        private static string Chomped(string s) => s.TrimEnd('\n');

        private static AlpException Unprovable(string what) =>
            new(UnprovableErrorId, AlpErrorKind.InvalidData, $"Refusing to write the injector template: {what}.")
            { RecommendedAction = "Inspect the template (Get the ConfigMap), or restore it from the backup, and report the template shape." };

        /// <summary>The root mapping of a config document (null when it is not a mapping), read within the YAML limits.</summary>
        internal static YamlMappingNode? LoadConfig(string config)
        {
            var stream = new YamlStream();
            try
            {
                stream.Load(new Yaml.NestingLimitParser(new Parser(new StringReader(config)), InputLimits.DocumentNesting));
            }
            catch (Yaml.NestingTooDeepException ex)
            {
                throw ex.ToAlpException("the injector config (data.config)");
            }
            catch (Yaml.YamlLimitException ex)
            {
                throw ex.ToAlpException("the injector config (data.config)");
            }
            return stream.Documents.Count > 0 ? stream.Documents[0].RootNode as YamlMappingNode : null;
        }

        /// <summary>The <c>template</c> value of a config document (null when it has none).</summary>
        internal static string? DecodeTemplate(string config, string region = Layout.SingleTemplate)
        {
            if (LoadConfig(config) is not { } root) return null;
            if (region != Layout.SingleTemplate)
            {
                if (!root.Children.TryGetValue(new YamlScalarNode("templates"), out var map) || map is not YamlMappingNode templates) return null;
                root = templates;
            }
            return root.Children.TryGetValue(new YamlScalarNode(region), out var node) && node is YamlScalarNode s ? s.Value : null;
        }

        /// <summary>
        /// Blanks the Go-template actions: a line that is only an action is dropped, an action inside a line becomes a
        /// plain word; then the text must parse as YAML (syntax only: duplicate keys from if/else branches are fine).
        /// </summary>
        internal static bool TemplateSkeletonParses(string template)
        {
            var (open, close) = GoTemplateCheck.DelimitersOf(template);
            var action = new Regex(Regex.Escape(open) + ".*?" + Regex.Escape(close), RegexOptions.CultureInvariant);
            var lines = new List<string>();
            foreach (var line in template.Split('\n'))
            {
                var trimmed = line.Trim();
                if (trimmed.Length > 0 && action.Replace(trimmed, "").Trim().Length == 0) continue;
                lines.Add(action.Replace(line, "x"));
            }
            try
            {
                var parser = new Parser(new StringReader(string.Join("\n", lines)));
                while (parser.MoveNext())
                {
                }
                return true;
            }
            catch (YamlException)
            {
                return false;
            }
        }

        // ---------------------------------------------------------------- finding the additions

        private sealed class Found
        {
            public required List<string> Clean { get; init; }
            public required InjectorPatchState State { get; init; }
            public int? MountAt { get; init; }
            public int? ContainerAt { get; init; }
            public int? VolumesAt { get; init; }
            /// <summary>The lines of each addition found, in template order.</summary>
            public required List<(Kind Kind, List<string> Lines, int Start)> Originals { get; init; }

            /// <summary>Each dikastes container: its first line and its lines (the blank line after it not included).</summary>
            public List<(int Start, List<string> Lines)> Containers =>
                Originals.Where(o => o.Kind == Kind.Container)
                    .Select(o => (o.Start, o.Lines.Take(o.Lines.FindLastIndex(l => l.Trim().Length > 0) + 1).ToList())).ToList();

            /// <summary>
            /// The original lines when the additions of these kinds were found exactly once each, next to each other, with
            /// the wanted content (blank lines aside); otherwise the wanted lines.
            /// </summary>
            public IReadOnlyList<string> KeepIfSame(IReadOnlyList<string> wanted, params Kind[] kinds)
            {
                var parts = Originals.Where(o => kinds.Contains(o.Kind)).ToList();
                if (parts.Count != kinds.Length || kinds.Any(k => parts.Count(p => p.Kind == k) != 1)) return wanted;
                for (var i = 1; i < parts.Count; i++)
                {
                    if (parts[i].Start != parts[i - 1].Start + parts[i - 1].Lines.Count) return wanted;
                }
                var original = parts.SelectMany(p => p.Lines).ToList();
                return original.Where(l => l.Trim().Length > 0).SequenceEqual(wanted.Where(l => l.Trim().Length > 0), StringComparer.Ordinal) ? original : wanted;
            }
        }

        private enum Kind { Mount, Container, SocketVolume, FelixSyncVolume }

        private static Found Find(Layout t)
        {
            var lines = t.Lines;
            var b = t.BaseIndent;
            var v = t.VolumesLine;
            var ranges = new List<(int Start, int End, Kind Kind)>();
            string? image = null;
            FelixSyncVolumeKind? felix = null;

            // (b) dikastes containers: items "- name: dikastes" at the template indent, before volumes:.
            for (var i = t.BodyStart; i < v; i++)
            {
                if (Indent(lines[i]) != b || NameOfItem(lines, i, b) != "dikastes") continue;
                var end = ItemEnd(lines, i, b, t.BodyEnd);
                foreach (var l in lines.Skip(i).Take(end - i))
                {
                    var s = l.Trim();
                    if (image == null && Indent(l) == b + 2 && s.StartsWith("image:", StringComparison.Ordinal)) image = s["image:".Length..].Trim().Trim('"', '\'');
                }
                if (end < t.BodyEnd && lines[end].Trim().Length == 0) end++; // the blank line Calico's include leaves after it
                ranges.Add((i, end, Kind.Container));
                i = end - 1;
            }

            // (a) dikastes-sock mounts on other containers (istio-proxy): list items deeper than the template indent.
            for (var i = t.BodyStart; i < v; i++)
            {
                if (ranges.Any(r => i >= r.Start && i < r.End)) continue;
                var ind = Indent(lines[i]);
                if (ind <= b || !lines[i].TrimStart().StartsWith("- ", StringComparison.Ordinal)) continue;
                var end = ItemEnd(lines, i, ind, v);
                if (NameOfItem(lines, i, ind) != "dikastes-sock") continue;
                if (!lines.Skip(i).Take(end - i).Any(l => Regex.IsMatch(l, @"^ *-? *mountPath: */var/run/dikastes *$"))) continue;
                // Calico's *-indented include (templates map) leaves a blank line between the mount and the container.
                if (end + 1 < v && lines[end].Trim().Length == 0 && Indent(lines[end + 1]) == b && NameOfItem(lines, end + 1, b) == "dikastes") end++;
                ranges.Add((i, end, Kind.Mount));
                i = end - 1;
            }

            // (c) pod volumes dikastes-sock and felix-sync: items at the template indent after volumes:.
            for (var i = v + 1; i < t.BodyEnd; i++)
            {
                if (Indent(lines[i]) != b || !lines[i].TrimStart().StartsWith("- ", StringComparison.Ordinal)) continue;
                var name = NameOfItem(lines, i, b);
                if (name is not ("dikastes-sock" or "felix-sync")) continue;
                var end = ItemEnd(lines, i, b, t.BodyEnd);
                var kind = name == "dikastes-sock" ? Kind.SocketVolume : Kind.FelixSyncVolume;
                if (kind == Kind.FelixSyncVolume)
                {
                    var isCsi = lines.Skip(i).Take(end - i).Any(l => l.Trim() == "csi:");
                    felix ??= isCsi ? FelixSyncVolumeKind.Csi : FelixSyncVolumeKind.FlexVolume;
                    // Calico's 3.23+ include and its *-indented includes (templates map) leave a blank line after the volumes where more template follows.
                    if ((isCsi || t.IsMapTemplate) && end < t.BodyEnd && lines[end].Trim().Length == 0 && t.HasContentFrom(end + 1)) end++;
                }
                ranges.Add((i, end, kind));
                i = end - 1;
            }

            ranges.Sort((x, y) => x.Start.CompareTo(y.Start));
            var clean = new List<string>();
            int? mountAt = null, containerAt = null, volumesAt = null;
            var next = 0;
            foreach (var r in ranges)
            {
                for (; next < r.Start; next++) clean.Add(lines[next]);
                switch (r.Kind)
                {
                    case Kind.Mount: mountAt ??= clean.Count; break;
                    case Kind.Container: containerAt ??= clean.Count; break;
                    default: volumesAt ??= clean.Count; break;
                }
                next = r.End;
            }
            for (; next < lines.Count; next++) clean.Add(lines[next]);

            var state = new InjectorPatchState(
                ranges.Count(r => r.Kind == Kind.Mount), ranges.Count(r => r.Kind == Kind.Container),
                ranges.Count(r => r.Kind == Kind.SocketVolume), ranges.Count(r => r.Kind == Kind.FelixSyncVolume), image, felix);
            var originals = ranges.Select(r => (r.Kind, lines.GetRange(r.Start, r.End - r.Start), r.Start)).ToList();
            return new Found { Clean = clean, State = state, MountAt = mountAt, ContainerAt = containerAt, VolumesAt = volumesAt, Originals = originals };
        }

        /// <summary>The name of the list item starting at line i (indent ind): "- name: x" or a "name: x" field of the item.</summary>
        private static string? NameOfItem(List<string> lines, int i, int ind)
        {
            var head = lines[i][ind..];
            var m = ItemName.Match(head);
            if (m.Success) return m.Groups["n"].Value;
            if (!head.StartsWith("- ", StringComparison.Ordinal)) return null;
            for (var j = i + 1; j < lines.Count; j++)
            {
                var l = lines[j];
                if (l.Trim().Length == 0 || Indent(l) <= ind) break;
                if (Indent(l) == ind + 2)
                {
                    var k = KeyName.Match(l[(ind + 2)..]);
                    if (k.Success) return k.Groups["n"].Value;
                }
            }
            return null;
        }

        /// <summary>End (exclusive) of the list item at line i: the following non-blank lines indented deeper than ind.</summary>
        private static int ItemEnd(List<string> lines, int i, int ind, int limit)
        {
            var j = i + 1;
            while (j < limit && lines[j].Trim().Length > 0 && Indent(lines[j]) > ind) j++;
            return j;
        }

        internal static int Indent(string line)
        {
            var n = 0;
            while (n < line.Length && line[n] == ' ') n++;
            return n;
        }

        private static bool IsAction(string line, string open) => line.TrimStart().StartsWith(open, StringComparison.Ordinal);

        // ---------------------------------------------------------------- layout

        /// <summary>The config text split in lines, with the template body located.</summary>
        internal sealed class Layout
        {
            public required List<string> Lines { get; init; }
            public required bool Crlf { get; init; }
            /// <summary>Line of "template: |" in a config; -1 for a bare template.</summary>
            public required int KeyLine { get; init; }
            public required int BodyStart { get; init; }
            /// <summary>Exclusive end of the template body (trailing blank lines included).</summary>
            public required int BodyEnd { get; init; }
            /// <summary>Indent of the pod fields (containers, volumes): the template's own indent, or its spec's + 2 in a templates map.</summary>
            public required int BaseIndent { get; init; }
            /// <summary>Indent of the template body in the config (its first line's).</summary>
            public required int TemplateIndent { get; init; }
            public required int VolumesLine { get; init; }
            public required string Delimiters { get; init; }
            /// <summary>The template is an entry of the 1.9+ <c>templates:</c> map (a Pod overlay with metadata/spec).</summary>
            public bool IsMapTemplate { get; init; }
            private string Open => Delimiters[..2];

            /// <summary>The region name of the single <c>template</c> (Istio 1.0-1.8, or a bare template).</summary>
            public const string SingleTemplate = "template";

            /// <summary>The templates of the 1.9+ map that Calico patches.</summary>
            private static readonly string[] PatchedMapTemplates = { "sidecar", "gateway" };

            private static readonly Regex MapEntry = new(@"^  (?<n>[A-Za-z0-9_.-]+): *(?<h>[|>][-+]?[1-9]?)? *(#.*)?$", RegexOptions.CultureInvariant);

            public string Join(List<string> lines) => Crlf ? string.Join("\r\n", lines) : string.Join("\n", lines);

            /// <summary>The template body as text (the config indentation removed).</summary>
            public string TemplateText()
            {
                var body = new List<string>();
                var last = BodyEnd;
                while (last > BodyStart && Lines[last - 1].Trim().Length == 0) last--;
                for (var i = BodyStart; i < last; i++) body.Add(Lines[i].Length >= TemplateIndent ? Lines[i][TemplateIndent..] : "");
                return string.Join("\n", body) + (KeyLine >= 0 ? "\n" : "");
            }

            public bool HasContentFrom(int index)
            {
                for (var i = index; i < BodyEnd; i++) if (Lines[i].Trim().Length > 0) return true;
                return false;
            }

            /// <summary>
            /// Where the volumes list ends: before the first later mapping key at the template indent (dnsConfig:,
            /// podRedirectAnnot:), moving up over the block actions that open it; else after the last template line.
            /// </summary>
            public int EndOfVolumeList(int v)
            {
                for (var i = v + 1; i < BodyEnd; i++)
                {
                    var l = Lines[i];
                    if (l.Trim().Length == 0 || Indent(l) > BaseIndent) continue;
                    if (IsAction(l, Open) || l.TrimStart().StartsWith("- ", StringComparison.Ordinal) || l.TrimStart().StartsWith('#')) continue;
                    var at = i;
                    while (at - 1 > v && IsAction(Lines[at - 1], Open) && Indent(Lines[at - 1]) == BaseIndent && OpensBlock(Lines[at - 1])) at--;
                    return at;
                }
                var end = BodyEnd;
                while (end > v + 1 && Lines[end - 1].Trim().Length == 0) end--;
                return end;
            }

            private bool OpensBlock(string line)
            {
                var s = line.Trim();
                s = s[2..].TrimStart('-').TrimStart();
                return s.StartsWith("if ", StringComparison.Ordinal) || s.StartsWith("with ", StringComparison.Ordinal) || s.StartsWith("range ", StringComparison.Ordinal);
            }

            /// <summary>
            /// Where the dikastes mount (appended to istio-proxy's volumeMounts, checked to be its last field) and the
            /// dikastes container go: the end of the istio-proxy item, before any block action that opens what follows at
            /// the pod-field indent (Istio 1.7's <c>ISTIO_META_DNS_CAPTURE</c> <c>dnsConfig</c> block, Calico PR #4508);
            /// normally that is the <c>volumes:</c> line itself.
            /// </summary>
            public int FindIstioProxy(int v)
            {
                var b = BaseIndent;
                var proxy = -1;
                for (var i = v - 1; i >= BodyStart; i--)
                {
                    var l = Lines[i];
                    if (Indent(l) == b && ItemName.Match(l[b..]) is { Success: true } m && m.Groups["n"].Value == "istio-proxy")
                    {
                        proxy = i;
                        break;
                    }
                }
                if (proxy < 0) throw Unrecognized("the istio-proxy container ('- name: istio-proxy' at the template indent before 'volumes:')");
                var end = v;
                for (var i = proxy + 1; i < v; i++)
                {
                    var l = Lines[i];
                    if (l.Trim().Length == 0 || IsAction(l, Open) || Indent(l) > b || l.TrimStart().StartsWith('#')) continue;
                    end = i;
                    break;
                }
                if (end < v)
                {
                    // Only a conditional block of pod fields may sit between istio-proxy and volumes: (1.7's dnsConfig).
                    var open = end;
                    while (open - 1 > proxy && IsAction(Lines[open - 1], Open) && Indent(Lines[open - 1]) == b && OpensBlock(Lines[open - 1])) open--;
                    if (open == end || Lines[end].TrimStart().StartsWith("- ", StringComparison.Ordinal) || !MappingKey.IsMatch(Lines[end][b..]))
                    {
                        throw Unrecognized($"'volumes:' right after the istio-proxy container (line {end + 1} at the template indent comes between them)");
                    }
                    end = open;
                }
                var lastKey = -1;
                for (var i = proxy + 1; i < end; i++)
                {
                    var l = Lines[i];
                    if (l.Trim().Length == 0 || IsAction(l, Open)) continue;
                    var ind = Indent(l);
                    if (ind == b + 2 && MappingKey.IsMatch(l[ind..])) lastKey = i;
                }
                if (lastKey < 0 || Lines[lastKey].Trim() != "volumeMounts:")
                {
                    throw Unrecognized("'volumeMounts:' as the last field of the istio-proxy container");
                }
                return end;
            }

            /// <summary>
            /// The templates to edit: "template" for a single-template config or a bare template; for a 1.9+ config with
            /// a <c>templates:</c> map, its <c>sidecar</c> and <c>gateway</c> entries (in config order).
            /// </summary>
            public static IReadOnlyList<string> RegionNames(string config)
            {
                var lines = config.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
                var map = Array.FindIndex(lines, l => l.TrimEnd(' ') == "templates:");
                if (map < 0) return new[] { SingleTemplate };
                var names = MapEntries(lines, map).Select(e => e.Name).Where(n => PatchedMapTemplates.Contains(n)).ToList();
                if (names.Count == 0) throw Unrecognized("a 'sidecar' or 'gateway' template in the config's 'templates:' map");
                return names;
            }

            /// <summary>The entries of the templates map starting at line <paramref name="map"/>: name, key line, body end (exclusive).</summary>
            internal static List<(string Name, int Line, int End)> MapEntries(IReadOnlyList<string> lines, int map)
            {
                var entries = new List<(string Name, int Line, int End)>();
                var i = map + 1;
                while (i < lines.Count)
                {
                    var l = lines[i];
                    if (l.Trim().Length == 0) { i++; continue; }
                    if (Indent(l) == 0) break;
                    var m = MapEntry.Match(l);
                    if (!m.Success) throw Unrecognized($"a template name at indent 2 in the 'templates:' map (line {i + 1})");
                    var j = i + 1;
                    while (j < lines.Count && (lines[j].Trim().Length == 0 || Indent(lines[j]) > 2)) j++;
                    entries.Add((m.Groups["n"].Value, i, j));
                    i = j;
                }
                return entries;
            }

            public static Layout Parse(string config, string? original = null, string region = SingleTemplate)
            {
                ArgumentNullException.ThrowIfNull(config);
                var crlf = (original ?? config).Contains("\r\n", StringComparison.Ordinal);
                var text = crlf ? config.Replace("\r\n", "\n", StringComparison.Ordinal) : config;
                if (text.Contains('\r')) throw Unrecognized("consistent line endings (the config mixes CR and LF)");
                if (text.Contains('\t') && text.Split('\n').Any(l => l.StartsWith('\t')))
                {
                    throw Unrecognized("space indentation (a line is indented with a tab)");
                }
                var lines = text.Split('\n').ToList();

                int keyLine = -1, bodyStart = 0, bodyEnd = lines.Count, keyIndent = -1;
                var inMap = region != SingleTemplate;
                if (inMap)
                {
                    var map = lines.FindIndex(l => l.TrimEnd(' ') == "templates:");
                    if (map < 0) throw Unrecognized("a 'templates:' map in the config");
                    var entry = MapEntries(lines, map).Where(e => e.Name == region).ToList();
                    if (entry.Count != 1) throw Unrecognized($"one '{region}' template in the 'templates:' map (found {entry.Count})");
                    if (!BlockHeader.IsMatch(lines[entry[0].Line][(region.Length + 3)..]))
                    {
                        throw Unrecognized($"the '{region}' template as a literal block scalar ('{region}: |'); line {entry[0].Line + 1} is '{lines[entry[0].Line].Trim()}'");
                    }
                    keyLine = entry[0].Line;
                    bodyStart = keyLine + 1;
                    bodyEnd = entry[0].End;
                }
                else
                {
                    // The template key: at the smallest indent, a literal block scalar.
                    var keys = new List<(int Line, int Indent, string Header)>();
                    for (var i = 0; i < lines.Count; i++)
                    {
                        var m = TemplateKey.Match(lines[i]);
                        if (m.Success) keys.Add((i, m.Groups["i"].Length, m.Groups["rest"].Value));
                    }
                    if (keys.Count > 0)
                    {
                        var min = keys.Min(k => k.Indent);
                        var top = keys.Where(k => k.Indent == min).ToList();
                        if (min == 0 || !keys.Any(k => k.Indent == 0))
                        {
                            if (top.Count > 1) throw Unrecognized("a single 'template:' key in the config (found several)");
                            var k = top[0];
                            if (!BlockHeader.IsMatch(k.Header))
                            {
                                throw Unrecognized($"'template:' as a literal block scalar ('template: |' or 'template: |-'); line {k.Line + 1} has 'template:{k.Header}'");
                            }
                            keyLine = k.Line;
                            keyIndent = k.Indent;
                            bodyStart = keyLine + 1;
                            bodyEnd = bodyStart;
                            while (bodyEnd < lines.Count && (lines[bodyEnd].Trim().Length == 0 || Indent(lines[bodyEnd]) > keyIndent)) bodyEnd++;
                        }
                    }
                }
                var first = -1;
                for (var i = bodyStart; i < bodyEnd; i++)
                {
                    if (lines[i].Trim().Length > 0)
                    {
                        first = i;
                        break;
                    }
                }
                if (first < 0) throw Unrecognized("a non-empty injection template");
                var templateIndent = Indent(lines[first]);
                var b = templateIndent;
                var podStart = bodyStart;
                if (inMap)
                {
                    // A Pod overlay: the pod fields are under its spec:.
                    var spec = new string(' ', templateIndent) + "spec:";
                    var specLines = Enumerable.Range(bodyStart, bodyEnd - bodyStart).Where(i => lines[i].TrimEnd(' ') == spec).ToList();
                    if (specLines.Count != 1) throw Unrecognized($"one '{spec.Trim()}' line at the '{region}' template's indent (found {specLines.Count})");
                    podStart = specLines[0] + 1;
                    b = templateIndent + 2;
                }
                var volumesLine = new string(' ', b) + "volumes:";
                var anchors = new List<int>();
                for (var i = podStart; i < bodyEnd; i++)
                {
                    if (lines[i].TrimEnd(' ') == volumesLine) anchors.Add(i);
                }
                if (anchors.Count == 0) throw Unrecognized($"the pod-level '{volumesLine}' line in the template");
                if (anchors.Count > 1) throw Unrecognized($"a single pod-level '{volumesLine}' line (found {anchors.Count}, lines {string.Join(", ", anchors.Select(a => a + 1))})");
                var templateText = string.Join("\n", lines.Skip(bodyStart).Take(bodyEnd - bodyStart));
                var (open, close) = GoTemplateCheck.DelimitersOf(templateText);
                return new Layout
                {
                    Lines = lines,
                    Crlf = crlf,
                    KeyLine = keyLine,
                    BodyStart = bodyStart,
                    BodyEnd = bodyEnd,
                    BaseIndent = b,
                    TemplateIndent = templateIndent,
                    VolumesLine = anchors[0],
                    Delimiters = open + " " + close,
                    IsMapTemplate = inMap,
                };
            }
        }

        internal static AlpException Unrecognized(string what) =>
            new(UnrecognizedErrorId, AlpErrorKind.InvalidData, $"The Istio sidecar injector template is not recognised: expected {what}, which was not found.", what)
            { RecommendedAction = "Check that this is the istio-sidecar-injector config (data.config) of Istio 1.0-1.21 (for 1.22+ Calico adds the dikastes templates instead), or pass a template with a pod-level 'volumes:' list after the istio-proxy container." };
    }
}
