using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Generations;
using CalicoAlp.Core.Json;
using CalicoAlp.Tests.Infrastructure;
using CalicoAlp.Tests.Injector;
using Xunit;

namespace CalicoAlp.Tests.Alp
{
    /// <summary>
    /// The authorization-service objects of every EnvoyFilter form against Calico's own files, compared as parsed
    /// objects (YAML -> JSON tree: map key order irrelevant, list order relevant), and their apiVersions against the
    /// Istio CRD bundles.
    /// </summary>
    [Trait("Category", "Shared")]
    public class AuthorizationServiceOracleTests
    {
        private static string Modern => Path.Combine(RepoPaths.Shared, "upstream", "calico-alp-modern");
        private static string Legacy => Path.Combine(RepoPaths.Shared, "upstream", "calico-alp");

        /// <summary>(file under upstream/, form): every rendered or pre-rendered copy Calico published.</summary>
        public static IEnumerable<object[]> CalicoFiles() => new (string, EnvoyFilterForm)[]
        {
            ("calico-alp/rendered/v3.9/istio-app-layer-policy.yaml", EnvoyFilterForm.Filters),
            ("calico-alp/rendered/v3.10/istio-app-layer-policy.yaml", EnvoyFilterForm.Filters),
            ("calico-alp/rendered/v3.11/istio-app-layer-policy.yaml", EnvoyFilterForm.Filters),
            ("calico-alp/rendered/v3.12/istio-app-layer-policy.yaml", EnvoyFilterForm.Filters),
            ("calico-alp-modern/gen1_v3.17-v3.19/rendered-v3.17.6/istio-app-layer-policy-v1.6.yaml", EnvoyFilterForm.V16),
            ("calico-alp-modern/gen1_v3.17-v3.19/rendered-v3.17.6/istio-app-layer-policy-v1.7.yaml", EnvoyFilterForm.V17),
            ("calico-alp-modern/gen1_v3.17-v3.19/rendered-v3.19.4/istio-app-layer-policy-v1.6.yaml", EnvoyFilterForm.V16),
            ("calico-alp-modern/gen1_v3.17-v3.19/rendered-v3.19.4/istio-app-layer-policy-v1.7.yaml", EnvoyFilterForm.V17),
            ("calico-alp-modern/gen2_v3.20-v3.22/rendered-v3.20.6/istio-app-layer-policy-v1.7.yaml", EnvoyFilterForm.V17),
            ("calico-alp-modern/gen2_v3.20-v3.22/rendered-v3.20.6/istio-app-layer-policy-envoy-v3.yaml", EnvoyFilterForm.EnvoyV3),
            ("calico-alp-modern/gen4_v3.24-plus/v3.24.6/manifests/alp/istio-app-layer-policy-v1.6.yaml", EnvoyFilterForm.V16),
            ("calico-alp-modern/gen4_v3.24-plus/v3.24.6/manifests/alp/istio-app-layer-policy-v1.7.yaml", EnvoyFilterForm.V17),
            ("calico-alp-modern/gen4_v3.24-plus/v3.24.6/manifests/alp/istio-app-layer-policy-envoy-v3.yaml", EnvoyFilterForm.EnvoyV3),
            ("calico-alp-modern/gen4_v3.24-plus/v3.30.7/manifests/alp/istio-app-layer-policy-envoy-v3.yaml", EnvoyFilterForm.EnvoyV3),
            ("calico-alp-modern/gen4_v3.24-plus/v3.32.1/manifests/alp/istio-app-layer-policy-v1.6.yaml", EnvoyFilterForm.V16),
            ("calico-alp-modern/gen4_v3.24-plus/v3.32.1/manifests/alp/istio-app-layer-policy-v1.7.yaml", EnvoyFilterForm.V17),
            ("calico-alp-modern/gen4_v3.24-plus/v3.32.1/manifests/alp/istio-app-layer-policy-envoy-v3.yaml", EnvoyFilterForm.EnvoyV3),
            ("calico-alp-modern/gen4_v3.24-plus/master/manifests/alp/istio-app-layer-policy-envoy-v3.yaml", EnvoyFilterForm.EnvoyV3),
            ("calico-alp-modern/gen5_current-docs/calico-v3.31.7/manifests/alp/istio-app-layer-policy-envoy-v3.yaml", EnvoyFilterForm.EnvoyV3),
        }.Select(x => new object[] { x.Item1, x.Item2 });

        private static List<JsonNode?> Parse(string relative) =>
            YamlJson.Documents(SharedFiles.Read(Path.Combine(RepoPaths.Shared, "upstream", relative)));

        [Theory]
        [MemberData(nameof(CalicoFiles))]
        public void The_objects_of_a_form_equal_calicos_file(string file, EnvoyFilterForm form)
        {
            var expected = Parse(file);
            var actual = AuthorizationService.Objects(form).Select(o => (JsonNode?)o.Object).ToList();
            Assert.Equal(3, expected.Count);
            for (var i = 0; i < 3; i++)
            {
                var diff = JsonDiff.Compare(expected[i], actual[i], "");
                Assert.True(diff.Count == 0, $"{file} document {i}: " + string.Join("; ", diff.Select(d => $"{d.Path}: {d.Before} -> {d.After}")));
                Assert.True(JsonDiff.DeepEquals(expected[i], actual[i]));
            }
            Assert.Equal(form, AuthorizationService.FormOf(expected[2]!["spec"]));
        }

        [Fact]
        public void The_four_forms_differ_and_a_foreign_spec_is_no_form()
        {
            var specs = Enum.GetValues<EnvoyFilterForm>().Select(AuthorizationService.EnvoyFilterSpec).ToList();
            Assert.Equal(4, specs.Count);
            for (var i = 0; i < specs.Count; i++)
            for (var j = i + 1; j < specs.Count; j++)
            {
                Assert.False(JsonDiff.DeepEquals(specs[i], specs[j]));
            }
            var changed = AuthorizationService.EnvoyFilterSpec(EnvoyFilterForm.EnvoyV3);
            changed["configPatches"]![0]!["patch"]!["value"]!["typed_config"]!["stat_prefix"] = "other";
            Assert.Null(AuthorizationService.FormOf(changed));
            Assert.Null(AuthorizationService.FormOf(null));
        }

        /// <summary>The generation table names Calico's file for each documented Istio minor; the form it gives is that file's.</summary>
        [Theory]
        [InlineData("1.4.2", "calico-alp/rendered/v3.12")]
        [InlineData("1.6.8", "calico-alp-modern/gen1_v3.17-v3.19/rendered-v3.19.4")]
        [InlineData("1.7.4", "calico-alp-modern/gen1_v3.17-v3.19/rendered-v3.19.4")]
        [InlineData("1.9.6", "calico-alp-modern/gen2_v3.20-v3.22/rendered-v3.20.6")]
        [InlineData("1.10.2", "calico-alp-modern/gen2_v3.20-v3.22/rendered-v3.20.6")]
        [InlineData("1.15.2", "calico-alp-modern/gen4_v3.24-plus/v3.32.1/manifests/alp")]
        [InlineData("1.28.1", "calico-alp-modern/gen5_current-docs/calico-v3.31.7/manifests/alp")]
        public void The_generation_tables_file_is_the_form_it_gives(string istio, string folder)
        {
            var gen = IstioGeneration.For(ComponentVersion.Parse(istio));
            var docs = Parse(folder + "/" + gen.CalicoFilterFile);
            Assert.True(JsonDiff.DeepEquals(docs[2], AuthorizationService.EnvoyFilter(gen.EnvoyFilter, "istio-system")), $"{istio}: {gen.CalicoFilterFile}");
        }

        /// <summary>Each object's apiVersion is served by the CRD bundles of Istio 1.4.2 (Filters), 1.15.2 and 1.28.1 (configPatches forms).</summary>
        [Theory]
        [InlineData("1.4.2")]
        [InlineData("1.15.2")]
        [InlineData("1.28.1")]
        public void The_api_versions_are_served_by_the_istio_crds(string istio)
        {
            var bundle = istio == "1.4.2"
                ? Path.Combine(RepoPaths.Root, "tests", "cluster", "fixture", "istio-1.4.2-crd-10.yaml")
                : Path.Combine(Modern, "istio-crds", istio, "alp-subset.crds.yaml");
            var served = new HashSet<string>(StringComparer.Ordinal);
            foreach (var crd in YamlJson.Documents(SharedFiles.Read(bundle)).OfType<JsonObject>())
            {
                if (crd["kind"]?.GetValue<string>() != "CustomResourceDefinition") continue;
                var group = crd["spec"]!["group"]!.GetValue<string>();
                var kind = crd["spec"]!["names"]!["kind"]!.GetValue<string>();
                if (crd["spec"]!["versions"] is JsonArray versions)
                {
                    foreach (var v in versions.OfType<JsonObject>())
                    {
                        if (v["served"]?.GetValue<bool>() != false) served.Add($"{group}/{v["name"]!.GetValue<string>()}/{kind}");
                    }
                }
                else
                {
                    served.Add($"{group}/{crd["spec"]!["version"]!.GetValue<string>()}/{kind}");
                }
            }
            var form = IstioGeneration.For(ComponentVersion.Parse(istio)).EnvoyFilter;
            foreach (var (_, obj) in AuthorizationService.Objects(form))
            {
                var key = $"{obj["apiVersion"]!.GetValue<string>()}/{obj["kind"]!.GetValue<string>()}";
                Assert.Contains(key, served);
            }
        }
    }
}
