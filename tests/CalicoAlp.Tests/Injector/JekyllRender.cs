using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;

namespace CalicoAlp.Tests.Injector
{
    /// <summary>
    /// Renders Calico's Jekyll sources of the injector ConfigMaps the way the docs site did (rendered/README.md): front
    /// matter removed, include tags replaced by the include files, raw/endraw removed, "{%-" strips the whitespace to its
    /// left, leading blank lines dropped. Used to build the expected files of Calico versions whose renders are not
    /// stored (3.23 CSI): the same sources with that version's includes. Checked against the stored v3.12 renders.
    /// </summary>
    internal static class JekyllRender
    {
        private static readonly Regex Tag = new(@"\{%(-?)\s*(raw|endraw|include\s+(?:\{\{page\.version\}\}/)?non-helm-manifests/([A-Za-z0-9_.-]+))\s*-?%\}", RegexOptions.CultureInvariant);
        private static readonly Regex ImageLine = new(@"image: \{\{page\.registry\}\}.*$", RegexOptions.Multiline | RegexOptions.CultureInvariant);

        public static string Render(string source, Func<string, string> include, string image)
        {
            if (source.StartsWith("---\n", StringComparison.Ordinal))
            {
                var end = source.IndexOf("\n---\n", 4, StringComparison.Ordinal);
                source = source[(end + 5)..];
            }
            var sb = new StringBuilder();
            var pos = 0;
            foreach (Match m in Tag.Matches(source))
            {
                var text = source[pos..m.Index];
                // "{%-" trims the whitespace of the text before the tag (not what an earlier include produced)
                if (m.Groups[1].Value == "-") text = text.TrimEnd(' ', '\t', '\n', '\r');
                sb.Append(text);
                if (m.Groups[3].Success)
                {
                    sb.Append(ImageLine.Replace(include(m.Groups[3].Value), "image: " + image));
                }
                pos = m.Index + m.Length;
            }
            sb.Append(source[pos..]);
            return sb.ToString().TrimStart('\n');
        }

        /// <summary>The include files of a docs version, newest copy at or below it among the stored folders.</summary>
        public static Func<string, string> Includes(params string[] folders) => name =>
        {
            foreach (var folder in folders)
            {
                var path = Path.Combine(SharedFiles.CalicoAlp, folder, "_includes", "non-helm-manifests", name);
                if (File.Exists(path)) return SharedFiles.Read(path);
            }
            throw new FileNotFoundException($"include {name} not in {string.Join(", ", folders)}");
        };
    }
}
