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

        private static string R(string folder, string file) => Path.Combine(folder, file).Replace('\\', '/');

        public static IEnumerable<GenerationPair> All()
        {
            const string g1 = "gen1_v3.17-v3.19", g2 = "gen2_v3.20-v3.22", g3 = "gen3_v3.23", g4 = "gen4_v3.24-plus", g5 = "gen5_current-docs";
            yield return new("1.6.8", "3.17.6", R(g1, "rendered-v3.17.6/istio-inject-configmap-1.6.yaml"));
            yield return new("1.6.8", "3.19.4", R(g1, "rendered-v3.19.4/istio-inject-configmap-1.6.yaml"));
            yield return new("1.6.8", "3.24.6", R(g4, "v3.24.6/manifests/alp/istio-inject-configmap-1.6.yaml"));
            yield return new("1.6.8", "3.32.1", R(g4, "v3.32.1/manifests/alp/istio-inject-configmap-1.6.yaml"));
            yield return new("1.7.4", "3.19.4", R(g1, "rendered-v3.19.4/istio-inject-configmap-1.7.yaml"));
            yield return new("1.7.4", "3.20.6", R(g2, "rendered-v3.20.6/istio-inject-configmap-1.7.yaml"));
            yield return new("1.7.4", "3.24.6", R(g4, "v3.24.6/manifests/alp/istio-inject-configmap-1.7.yaml"));
            yield return new("1.7.4", "3.32.1", R(g4, "v3.32.1/manifests/alp/istio-inject-configmap-1.7.yaml"));
            yield return new("1.9.6", "3.20.6", R(g2, "rendered-v3.20.6/istio-inject-configmap-1.9.yaml"));
            yield return new("1.9.6", "3.22.5", R(g2, "rendered-v3.22.5/istio-inject-configmap-1.9.yaml"));
            yield return new("1.9.6", "3.23.5", R(g3, "rendered-v3.23.5/istio-inject-configmap-1.9.yaml"));
            yield return new("1.9.6", "3.24.6", R(g4, "v3.24.6/manifests/alp/istio-inject-configmap-1.9.yaml"));
            yield return new("1.9.6", "3.32.1", R(g4, "v3.32.1/manifests/alp/istio-inject-configmap-1.9.yaml"));
            yield return new("1.10.2", "3.20.6", R(g2, "rendered-v3.20.6/istio-inject-configmap-1.10.yaml"));
            yield return new("1.10.2", "3.22.5", R(g2, "rendered-v3.22.5/istio-inject-configmap-1.10.yaml"));
            yield return new("1.10.2", "3.23.5", R(g3, "rendered-v3.23.5/istio-inject-configmap-1.10.yaml"));
            yield return new("1.10.2", "3.24.6", R(g4, "v3.24.6/manifests/alp/istio-inject-configmap-1.10.yaml"));
            yield return new("1.10.2", "3.25.2", R(g4, "v3.25.2/manifests/alp/istio-inject-configmap-1.10.yaml"));
            yield return new("1.10.2", "3.30.7", R(g4, "v3.30.7/manifests/alp/istio-inject-configmap-1.10.yaml"));
            yield return new("1.10.2", "3.31.7", R(g5, "calico-v3.31.7/manifests/alp/istio-inject-configmap-1.10.yaml"));
            yield return new("1.10.2", "3.32.1", R(g4, "v3.32.1/manifests/alp/istio-inject-configmap-1.10.yaml"));
            yield return new("1.10.2", "3.33.0", R(g4, "master/manifests/alp/istio-inject-configmap-1.10.yaml"));
            yield return new("1.15.2", "3.25.2", R(g4, "v3.25.2/manifests/alp/istio-inject-configmap-1.15.yaml"));
            yield return new("1.15.2", "3.30.7", R(g4, "v3.30.7/manifests/alp/istio-inject-configmap-1.15.yaml"));
            yield return new("1.15.2", "3.31.7", R(g5, "calico-v3.31.7/manifests/alp/istio-inject-configmap-1.15.yaml"));
            yield return new("1.15.2", "3.32.1", R(g4, "v3.32.1/manifests/alp/istio-inject-configmap-1.15.yaml"));
            yield return new("1.15.2", "3.33.0", R(g4, "master/manifests/alp/istio-inject-configmap-1.15.yaml"));
        }
    }
}
