using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using CalicoAlp.Tests.Infrastructure;

namespace CalicoAlp.Tests.Injector
{
    /// <summary>The read-only upstream material in the shared folder (found by RepoPaths.Shared).</summary>
    internal static class SharedFiles
    {
        /// <summary>The folder with CalicoAlp.sln.</summary>
        public static string RepositoryRoot => RepoPaths.Root;

        public static string CalicoAlp => Path.Combine(RepoPaths.Shared, "upstream", "calico-alp");

        public static string Rendered(string docsVersion) => Path.Combine(CalicoAlp, "rendered", docsVersion);

        /// <summary>The dikastes image of each rendered folder (rendered/README.md).</summary>
        public static readonly IReadOnlyDictionary<string, string> RenderedCalicoVersion = new Dictionary<string, string>
        {
            ["v3.9"] = "3.9.6",
            ["v3.10"] = "3.10.4",
            ["v3.11"] = "3.11.3",
            ["v3.12"] = "3.12.3",
        };

        public static string Read(string path) => File.ReadAllText(path, new UTF8Encoding(false));

        /// <summary>"1.2.3" from ".../istio-inject-configmap-1.2.3.yaml".</summary>
        public static string IstioVersionOf(string file) =>
            Regex.Match(Path.GetFileName(file), @"istio-inject-configmap-(\d+\.\d+\.\d+)\.yaml").Groups[1].Value;

        public static IEnumerable<string> InjectConfigMaps(string docsVersion) =>
            Directory.GetFiles(Rendered(docsVersion), "istio-inject-configmap-*.yaml").OrderBy(f => f, StringComparer.Ordinal);

        /// <summary>
        /// The stock injection template for an Istio version (the istio-stock folder whose name covers it; for 1.4 the
        /// istioctl installer's, which is what Calico copied), or null when none is stored.
        /// </summary>
        public static string? StockTemplate(string istioVersion)
        {
            var v = Parse(istioVersion);
            var candidates = new List<string>();
            foreach (var dir in Directory.GetDirectories(Path.Combine(CalicoAlp, "istio-stock")))
            {
                var m = Regex.Match(Path.GetFileName(dir), @"^istio-(\d+\.\d+\.\d+)(?:_to_(\d+\.\d+\.\d+))?$");
                if (!m.Success) continue;
                var lo = Parse(m.Groups[1].Value);
                var hi = m.Groups[2].Success ? Parse(m.Groups[2].Value) : lo;
                if (v.CompareTo(lo) < 0 || v.CompareTo(hi) > 0) continue;
                candidates.AddRange(Directory.GetFiles(dir, "injection-template.yaml", SearchOption.AllDirectories));
            }
            return candidates.OrderBy(c => c.Contains("istioctl-installer", StringComparison.Ordinal) ? 0 : 1).FirstOrDefault();
        }

        private static Version Parse(string v) => Version.Parse(v);

        /// <summary>All stored stock injection templates (a path each).</summary>
        public static IEnumerable<string> AllStockTemplates() =>
            Directory.GetFiles(Path.Combine(CalicoAlp, "istio-stock"), "injection-template.yaml", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal);

        public static string Relative(string path) => Path.GetRelativePath(CalicoAlp, path).Replace('\\', '/');
    }
}
