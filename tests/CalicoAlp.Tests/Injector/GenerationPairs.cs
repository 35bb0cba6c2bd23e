using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using CalicoAlp.Core.Injector;
using CalicoAlp.Tests.Infrastructure;

namespace CalicoAlp.Tests.Injector
{
    /// <summary>
    /// The oracle pairs of the generations spec §8: a stock Istio injector ConfigMap and a Calico file made for it, with
    /// the Calico release whose image and felix-sync volume the file carries.
    /// </summary>
    public sealed record GenerationPair(string Istio, string Calico, string CalicoFile)
    {
        public static string Modern => Path.Combine(RepoPaths.Shared, "upstream", "calico-alp-modern");

        public string StockPath => Path.Combine(Modern, "istio-stock", Istio, "rendered", "istio-sidecar-injector.configmap.yaml");
        public string CalicoPath => Path.Combine(Modern, CalicoFile);

        public string StockConfig => InjectorConfigDocument.Load(SharedFiles.Read(StockPath), StockPath).Config;
        public string CalicoConfig => InjectorConfigDocument.Load(SharedFiles.Read(CalicoPath), CalicoPath).Config;

        /// <summary>The image the Calico file uses (calico/dikastes:master in the unstamped v3.24.x files).</summary>
        public string Image => Regex.Match(SharedFiles.Read(CalicoPath), @"image: (\S*dikastes\S*)").Groups[1].Value;

        public DikastesSidecarOptions Options => DikastesSidecarOptions.From(Calico, Image);

        /// <summary>Calico's 1.6/1.7 files replaced the whole config and lost the stock 'injectedAnnotations:' line and the blank after it.</summary>
        public bool CalicoDroppedInjectedAnnotations => Istio.StartsWith("1.6", System.StringComparison.Ordinal) || Istio.StartsWith("1.7", System.StringComparison.Ordinal);

        public override string ToString() => $"Istio {Istio} + {CalicoFile}";

        /// <summary>The pairs, from tests/data/generation-pairs.csv (the Pester suite reads the same table).</summary>
        public static IEnumerable<GenerationPair> All() =>
            File.ReadAllLines(Path.Combine(RepoPaths.Root, "tests", "data", "generation-pairs.csv")).Skip(1)
                .Where(l => l.Trim().Length > 0)
                .Select(l => l.Split(','))
                .Select(f => new GenerationPair(f[0], f[1], f[2]));
    }
}
