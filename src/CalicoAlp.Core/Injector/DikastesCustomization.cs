using System;
using System.Collections.Generic;
using System.Linq;
using CalicoAlp.Core.Diagnostics;

namespace CalicoAlp.Core.Injector
{
    /// <summary>
    /// A dikastes container in the injector template that is not one of Calico's (another image aside): extra fields
    /// (env, resources, ...), other args or securityContext, or a second, different dikastes container. Set replaces
    /// such a container with Calico's, so <see cref="Lines"/> would be lost; it refuses unless forced.
    /// </summary>
    public sealed class DikastesCustomization
    {
        public const string ErrorId = "CustomizedDikastes";

        internal DikastesCustomization(int line, string what, IReadOnlyList<string> lines)
        {
            Line = line;
            What = what;
            Lines = lines;
        }

        /// <summary>1-based line in data.config where the container starts.</summary>
        public int Line { get; }

        /// <summary>"lines Calico's dikastes container does not have" or "a second dikastes container".</summary>
        public string What { get; }

        /// <summary>The lines that a replacement by Calico's container would lose (as written in data.config).</summary>
        public IReadOnlyList<string> Lines { get; }

        public override string ToString() => $"line {Line}: {What}:" + string.Concat(Lines.Select(l => Environment.NewLine + "    " + l));

        /// <summary>
        /// The customisations of the dikastes containers found (each: first line index, its lines without trailing blank
        /// lines). One container: the lines that the nearest of Calico's forms (any image) does not have. Several
        /// containers, not all identical: every container other than exactly <paramref name="wanted"/> is lost in full
        /// (identical copies are plain duplicates: nothing is lost when they go).
        /// </summary>
        /// <param name="knownForms">Calico's container forms, with <see cref="DikastesSidecarOptions.ImagePlaceholder"/> as image.</param>
        /// <param name="wanted">The container Set writes.</param>
        internal static IReadOnlyList<DikastesCustomization> Find(IReadOnlyList<(int Start, List<string> Lines)> containers, IReadOnlyList<IReadOnlyList<string>> knownForms,
            IReadOnlyList<string> wanted)
        {
            var result = new List<DikastesCustomization>();
            var contents = containers.Select(c => c.Lines.Where(l => l.Trim().Length > 0).ToList()).ToList();
            if (contents.Count > 1 && contents.Any(c => !c.SequenceEqual(contents[0], StringComparer.Ordinal)))
            {
                var wantedContent = wanted.Where(l => l.Trim().Length > 0).ToList();
                for (var c = 0; c < contents.Count; c++)
                {
                    if (contents[c].SequenceEqual(wantedContent, StringComparer.Ordinal)) continue;
                    result.Add(new DikastesCustomization(containers[c].Start + 1, $"dikastes container {c + 1} of {contents.Count} (only one is kept)", contents[c]));
                }
                return result;
            }
            if (contents.Count == 0) return result;
            var content = contents[0];
            var normalised = content.Select(NormaliseImage).ToList();
            // The nearest Calico form: the one leaving the fewest lines of this container unmatched.
            List<string>? best = null;
            foreach (var form in knownForms)
            {
                var extra = Unmatched(normalised, form, content);
                if (best == null || extra.Count < best.Count) best = extra;
            }
            if (best is { Count: > 0 })
            {
                result.Add(new DikastesCustomization(containers[0].Start + 1, "lines that Calico's dikastes container does not have", best));
            }
            return result;
        }

        /// <summary>The original lines whose normalised text is not in the form (as a multiset).</summary>
        private static List<string> Unmatched(List<string> normalised, IReadOnlyList<string> form, List<string> original)
        {
            var pool = form.GroupBy(l => l, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            var extra = new List<string>();
            for (var i = 0; i < normalised.Count; i++)
            {
                if (pool.TryGetValue(normalised[i], out var n) && n > 0) pool[normalised[i]] = n - 1;
                else extra.Add(original[i]);
            }
            return extra;
        }

        private static string NormaliseImage(string line)
        {
            var t = line.TrimStart(' ');
            return t.StartsWith("image:", StringComparison.Ordinal) ? line[..(line.Length - t.Length)] + "image: " + DikastesSidecarOptions.ImagePlaceholder : line;
        }

        /// <summary>The refusal: what would be lost, where, and how to go on.</summary>
        internal static AlpException Refusal(IReadOnlyList<DikastesCustomization> found, string? target)
        {
            var where = target ?? "The injector config";
            var message = $"{where}: the dikastes container in data.config was customised; Set-IstioInjectorPatch would replace it with Calico's and lose these lines:" +
                          string.Concat(found.Select(f => Environment.NewLine + "  " + f));
            return new AlpException(ErrorId, AlpErrorKind.InvalidOperation, message, target)
            {
                RecommendedAction = "Keep the customisation elsewhere (e.g. a pod annotation or another template), or run again with -Force: " +
                                    "the container is then replaced and the config as it was is kept (live: a key of the backup ConfigMap; offline: the input file, or a .calicoalp-backup copy when writing over it).",
            };
        }
    }
}
