using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Kube;
using CalicoAlp.Tests.Infrastructure;
using Xunit;
using YamlDotNet.Serialization;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>
    /// Each generation's fixture (tests/cluster/cluster.sh fixture &lt;statedir&gt; &lt;generation&gt;) lays what its row in
    /// tests/cluster/README.md says, read back from the real API server: the stock injector config byte for byte, the
    /// Calico and Istio versions (also as CalicoAlp's own detection sees them), the CRDs served, mTLS, nodes; and a
    /// re-run changes nothing.
    /// </summary>
    [Collection(GenerationCollection.Name)]
    [Trait("Category", "Cluster")]
    [Trait("Category", "Shared")]
    public sealed class GenerationFixtureTests
    {
        private readonly GenerationClusters _clusters;

        public GenerationFixtureTests(GenerationClusters clusters) => _clusters = clusters;

        public static IEnumerable<object[]> Generations => GenerationClusters.Modern.Select(g => new object[] { g });

        private static string Modern => Path.Combine(RepoPaths.Shared, "upstream", "calico-alp-modern");

        /// <summary>data.config as Istio's own render has it (the oracle in the shared folder).</summary>
        private static string StockConfig(string istio)
        {
            var stock = Path.Combine(Modern, "istio-stock", istio, "rendered");
            var rendered = Path.Combine(stock, "istio-sidecar-injector.configmap.yaml");
            if (File.Exists(rendered))
            {
                var cm = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(File.ReadAllText(rendered));
                return (string)((Dictionary<object, object>)cm["data"])["config"];
            }
            // The emulated wrapper writes `config: |-`: the text file's final newline is not part of the value.
            var text = File.ReadAllText(Path.Combine(stock, "data.config.txt"));
            Assert.EndsWith("\n", text);
            return text[..^1];
        }

        private static string CalicoMinor(string generation) => "v" + generation["calico".Length..generation.IndexOf('-', StringComparison.Ordinal)] + ".";

        [Theory]
        [MemberData(nameof(Generations))]
        public void The_injector_ConfigMap_config_is_the_stock_oracle_byte_for_byte(string generation)
        {
            var c = _clusters.Get(generation);
            var cm = c.GetJson("-n", "istio-system", "get", "configmap", "istio-sidecar-injector")!;
            var config = cm["data"]!["config"]!.GetValue<string>();
            var expected = StockConfig(c.IstioVersion);
            Assert.True(expected == config, $"{generation}: data.config differs from the stock {c.IstioVersion} render (lengths {expected.Length} vs {config.Length})");
            Assert.Equal("default", cm["metadata"]!["labels"]!["istio.io/rev"]!.GetValue<string>());
            if (c.IstioVersion == "1.28.1")
            {
                Assert.Equal("Pilot", cm["metadata"]!["labels"]!["operator.istio.io/component"]!.GetValue<string>());
                Assert.Equal("1.28.1", System.Text.Json.Nodes.JsonNode.Parse(cm["data"]!["values"]!.GetValue<string>())!["global"]!["tag"]!.GetValue<string>());
            }
        }

        [Theory]
        [MemberData(nameof(Generations))]
        public async System.Threading.Tasks.Task Calico_and_Istio_are_the_generation_s_as_CalicoAlp_detects_them(string generation)
        {
            var c = _clusters.Get(generation);
            var info = c.GetJson("get", "clusterinformations.crd.projectcalico.org", "default")!;
            Assert.StartsWith(CalicoMinor(generation), info["spec"]!["calicoVersion"]!.GetValue<string>());
            var felix = c.GetJson("get", "felixconfigurations.crd.projectcalico.org", "default")!;
            Assert.Null(felix["spec"]!["policySyncPathPrefix"]);

            var istiod = c.GetJson("-n", "istio-system", "get", "deployment", "istiod")!;
            Assert.Equal($"docker.io/istio/pilot:{c.IstioVersion}", istiod["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
            var podLabels = istiod["spec"]!["template"]!["metadata"]!["labels"]!;
            Assert.Equal("istiod", podLabels["app"]!.GetValue<string>());
            Assert.Equal("pilot", podLabels["istio"]!.GetValue<string>());
            Assert.Equal("default", podLabels["istio.io/rev"]!.GetValue<string>());
            Assert.Null(c.GetJson("-n", "istio-system", "get", "deployment", "istio-pilot"));

            var pa = c.GetJson("-n", "istio-system", "get", "peerauthentications.security.istio.io", "default-strict-mode")!;
            Assert.Equal("STRICT", pa["spec"]!["mtls"]!["mode"]!.GetValue<string>());
            Assert.Equal("enabled", c.GetJson("get", "namespace", "alp-sample-injected")!["metadata"]!["labels"]!["istio-injection"]!.GetValue<string>());
            Assert.NotNull(c.GetJson("-n", "alp-sample", "get", "deployment", "web"));

            // CalicoAlp's own detection (PrerequisiteChecker) reads the same versions from the cluster.
            var api = KubeConnector.Connect(new KubeConnectionOptions { KubeconfigPaths = new[] { c.Kubeconfig }, Context = "admin" }, Core.Diagnostics.NullOperationLog.Instance);
            var notes = new List<string>();
            var (calico, calicoSource) = await PrerequisiteChecker.DetectCalicoVersionAsync(api, notes, CancellationToken.None);
            Assert.StartsWith(CalicoMinor(generation)[1..], calico);
            Assert.Contains(generation.Contains("3.19", StringComparison.Ordinal) ? "kube-system/calico-node" : "calico-system/calico-node", calicoSource);
            var (istio, _) = await PrerequisiteChecker.DetectIstioVersionAsync(api, notes, CancellationToken.None);
            Assert.Equal(c.IstioVersion, istio);
        }

        [Theory]
        [MemberData(nameof(Generations))]
        public void The_CRDs_ALP_needs_are_served(string generation)
        {
            var c = _clusters.Get(generation);
            foreach (var resource in new[]
            {
                "felixconfigurations.crd.projectcalico.org", "clusterinformations.crd.projectcalico.org", "networkpolicies.crd.projectcalico.org",
                "globalnetworkpolicies.crd.projectcalico.org", "tiers.crd.projectcalico.org", "destinationrules.networking.istio.io",
                "envoyfilters.networking.istio.io", "serviceentries.networking.istio.io", "peerauthentications.security.istio.io",
            })
            {
                var r = c.Kubectl("get", resource, "-A");
                Assert.True(r.ExitCode == 0, $"{generation}: {resource} not served: {r.Combined}");
            }
            var se = c.GetJson("get", "crd", "serviceentries.networking.istio.io")!;
            var versions = se["spec"]!["versions"]!.AsArray().Select(v => v!["name"]!.GetValue<string>()).ToList();
            // 1.15.2's CRDs (used for 1.7-1.15) store v1alpha3 and serve v1beta1; 1.28.1's add v1 (storage) and carry no CEL here.
            Assert.Contains("v1alpha3", versions);
            Assert.Contains("v1beta1", versions);
            Assert.Equal(generation.EndsWith("1.28.1", StringComparison.Ordinal), versions.Contains("v1"));
            Assert.DoesNotContain("x-kubernetes-validations", c.KubectlOk("get", "crd", "destinationrules.networking.istio.io", "-o", "json"), StringComparison.Ordinal);
        }

        [Fact]
        public void The_Istio_1_28_generation_has_nodes_with_kubelet_1_29_and_1_33()
        {
            var c = _clusters.Get("calico3.31-istio1.28.1");
            var nodes = c.GetJson("get", "nodes")!["items"]!.AsArray()
                .ToDictionary(n => n!["metadata"]!["name"]!.GetValue<string>(), n => n!["status"]!["nodeInfo"]!["kubeletVersion"]!.GetValue<string>());
            Assert.Equal("v1.29.10", nodes["node-a"]);
            Assert.Equal("v1.33.1", nodes["node-b"]);
            var ds = c.GetJson("-n", "calico-system", "get", "daemonset", "calico-node")!;
            Assert.Equal("quay.io/calico/node:v3.31.7", ds["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
        }

        [Theory]
        [MemberData(nameof(Generations))]
        public void A_re_run_changes_nothing(string generation)
        {
            var c = _clusters.Get(generation);
            string Versions() => c.KubectlOk("get", "namespaces,deployments,daemonsets,configmaps,services,nodes,peerauthentications.security.istio.io,crd", "-A",
                "-o", "custom-columns=K:.kind,NS:.metadata.namespace,N:.metadata.name,RV:.metadata.resourceVersion", "--sort-by=.metadata.name");
            var before = Versions();
            var r = ProcessRunner.Run("bash", new[] { RepoPaths.ClusterScript, "fixture", c.StateDir, generation });
            Assert.True(r.ExitCode == 0, r.Combined);
            Assert.Contains(", 0 changed", r.StdOut, StringComparison.Ordinal);
            Assert.Equal(before, Versions());
        }

        [Fact]
        public void A_statedir_keeps_its_generation_and_an_unknown_one_is_refused()
        {
            var c = _clusters.Get("calico3.19-istio1.7.4");
            var other = ProcessRunner.Run("bash", new[] { RepoPaths.ClusterScript, "fixture", c.StateDir, "calico3.25-istio1.15.2" });
            Assert.NotEqual(0, other.ExitCode);
            Assert.Contains("already holds generation calico3.19-istio1.7.4", other.Combined, StringComparison.Ordinal);
            var unknown = ProcessRunner.Run("bash", new[] { RepoPaths.ClusterScript, "fixture", c.StateDir, "calico9.9-istio9.9" });
            Assert.NotEqual(0, unknown.ExitCode);
            Assert.Contains("unknown generation 'calico9.9-istio9.9'", unknown.Combined, StringComparison.Ordinal);
            // Nothing of 1.15.2 was laid: the injector is still 1.7's single template.
            Assert.DoesNotContain("templates:", c.GetJson("-n", "istio-system", "get", "configmap", "istio-sidecar-injector")!["data"]!["config"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }
}
