using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Injector;
using Xunit;

namespace CalicoAlp.Tests.Injector
{
    /// <summary>The editor against every injector file Calico published (rendered/) and the stock Istio templates.</summary>
    [Trait("Category", "Shared")]
    public class InjectorOracleTests
    {
        public static IEnumerable<object[]> V312Files() =>
            SharedFiles.InjectConfigMaps("v3.12").Select(f => new object[] { Path.GetFileName(f) });

        public static IEnumerable<object[]> OlderFiles() =>
            new[] { "v3.9", "v3.10", "v3.11" }.SelectMany(d => SharedFiles.InjectConfigMaps(d).Select(f => new object[] { d, Path.GetFileName(f) }));

        public static IEnumerable<object[]> V312FilesWithStock() =>
            SharedFiles.InjectConfigMaps("v3.12")
                .Where(f => SharedFiles.StockTemplate(SharedFiles.IstioVersionOf(f)) != null)
                .Select(f => new object[] { Path.GetFileName(f) });

        public static IEnumerable<object[]> StockTemplates() =>
            SharedFiles.AllStockTemplates().Select(f => new object[] { SharedFiles.Relative(f) });

        private static DikastesSidecarOptions Calico(string version) => DikastesSidecarOptions.From(version, null);

        [Fact]
        public void The_v312_folder_has_38_files_37_of_them_injector_configmaps()
        {
            // 1.1.0-1.1.17, 1.2.0-1.2.9, 1.3.0-1.3.5, 1.4.0-1.4.2, plus istio-app-layer-policy.yaml
            Assert.Equal(38, Directory.GetFiles(SharedFiles.Rendered("v3.12")).Length);
            Assert.Equal(37, V312Files().Count());
        }

        /// <summary>The template of a stock file: istioctl's is a "template: |" document, helm's the bare template.</summary>
        private static string StockTemplateOf(string text) =>
            text.StartsWith("template:", StringComparison.Ordinal) ? InjectorTemplateEditor.DecodeTemplate(text)! : text.TrimEnd('\n');

        private static string TemplateOf(string textOrConfig) =>
            textOrConfig.StartsWith("template:", StringComparison.Ordinal) || textOrConfig.StartsWith("policy:", StringComparison.Ordinal)
                ? InjectorTemplateEditor.DecodeTemplate(textOrConfig)!
                : textOrConfig.TrimEnd('\n');

        [Theory]
        [MemberData(nameof(V312Files))]
        public void V312_remove_then_set_gives_calicos_config_back_byte_for_byte(string file)
        {
            var text = SharedFiles.Read(Path.Combine(SharedFiles.Rendered("v3.12"), file));
            var doc = InjectorConfigDocument.Load(text, file);

            var removed = InjectorTemplateEditor.Remove(doc.Config);
            Assert.Equal(InjectorEditAction.Removed, removed.Action);
            Assert.True(removed.StateBefore.IsCompletelyPatched);
            Assert.Equal("calico/dikastes:v3.12.3", removed.StateBefore.Image);
            Assert.DoesNotContain("dikastes", removed.After, StringComparison.Ordinal);
            Assert.DoesNotContain("felix-sync", removed.After, StringComparison.Ordinal);

            var set = InjectorTemplateEditor.Set(removed.After, Calico("3.12.3"));
            Assert.Equal(InjectorEditAction.Created, set.Action);
            Assert.Equal(doc.Config, set.After);
            // and the document written back is the file, byte for byte
            Assert.Equal(text, doc.WithConfig(set.After));
        }

        [Theory]
        [MemberData(nameof(V312Files))]
        public void V312_set_with_the_same_image_is_unchanged_and_another_version_updates_in_place(string file)
        {
            var doc = InjectorConfigDocument.Load(SharedFiles.Read(Path.Combine(SharedFiles.Rendered("v3.12"), file)), file);
            var same = InjectorTemplateEditor.Set(doc.Config, Calico("3.12.3"));
            Assert.Equal(InjectorEditAction.Unchanged, same.Action);
            Assert.Equal(doc.Config, same.After);

            var newer = InjectorTemplateEditor.Set(doc.Config, Calico("3.16.1"));
            Assert.Equal(InjectorEditAction.Updated, newer.Action);
            var state = InjectorTemplateEditor.Inspect(newer.After);
            Assert.True(state.IsCompletelyPatched);
            Assert.Equal("calico/dikastes:v3.16.1", state.Image);
            // only the image line changed
            var diff = UnifiedDiff.Create(doc.Config, newer.After);
            var changed = diff.Split('\n').Where(l => (l.StartsWith('-') || l.StartsWith('+')) && !l.StartsWith("---", StringComparison.Ordinal) && !l.StartsWith("+++", StringComparison.Ordinal));
            Assert.Equal(new[] { "-    image: calico/dikastes:v3.12.3", "+    image: calico/dikastes:v3.16.1" }, changed);

            // 3.17 drops runAsNonRoot; removing gives the same stock as before
            var v317 = InjectorTemplateEditor.Set(doc.Config, Calico("3.17.0"));
            Assert.DoesNotContain("runAsNonRoot: true", v317.After, StringComparison.Ordinal);
            Assert.Equal(InjectorTemplateEditor.Remove(doc.Config).After, InjectorTemplateEditor.Remove(v317.After).After);
        }

        [Theory]
        [MemberData(nameof(OlderFiles))]
        public void Older_docs_remove_then_set_gives_calicos_config_back(string docs, string file)
        {
            var text = SharedFiles.Read(Path.Combine(SharedFiles.Rendered(docs), file));
            var doc = InjectorConfigDocument.Load(text, file);
            var version = SharedFiles.RenderedCalicoVersion[docs];

            var removed = InjectorTemplateEditor.Remove(doc.Config, doc.Values);
            Assert.Equal(InjectorEditAction.Removed, removed.Action);
            Assert.Equal("calico/dikastes:v" + version, removed.StateBefore.Image);

            var set = InjectorTemplateEditor.Set(removed.After, Calico(version), valuesJson: doc.Values);
            Assert.Equal(doc.Config, set.After);
            Assert.Equal(text, doc.WithConfig(set.After));

            // upgrading the old manifest to 3.12.3 replaces the container in place
            var upgraded = InjectorTemplateEditor.Set(doc.Config, Calico("3.12.3"), valuesJson: doc.Values);
            Assert.Equal(InjectorEditAction.Updated, upgraded.Action);
            Assert.Equal(1, InjectorTemplateEditor.Inspect(upgraded.After).DikastesContainers);
            Assert.Equal(doc.Config.Replace("calico/dikastes:v" + version, "calico/dikastes:v3.12.3", StringComparison.Ordinal), upgraded.After);
        }

        [Theory]
        [MemberData(nameof(V312FilesWithStock))]
        public void V312_removed_template_is_the_stock_template_and_set_on_stock_is_calicos(string file)
        {
            var doc = InjectorConfigDocument.Load(SharedFiles.Read(Path.Combine(SharedFiles.Rendered("v3.12"), file)), file);
            var stockPath = SharedFiles.StockTemplate(SharedFiles.IstioVersionOf(file))!;
            var stockText = SharedFiles.Read(stockPath);

            var calicoTemplate = InjectorTemplateEditor.DecodeTemplate(doc.Config)!;
            var removedTemplate = InjectorTemplateEditor.DecodeTemplate(InjectorTemplateEditor.Remove(doc.Config).After)!;
            // istioctl's file is itself a "template: |" document; the helm file is the bare template (indented under "template: |-")
            var stockTemplate = StockTemplateOf(stockText);
            Assert.Equal(stockTemplate, removedTemplate);

            var patchedStock = InjectorTemplateEditor.Set(stockText, Calico("3.12.3"));
            Assert.Equal(InjectorEditAction.Created, patchedStock.Action);
            var patchedTemplate = TemplateOf(patchedStock.After);
            Assert.Equal(calicoTemplate, patchedTemplate);
        }

        [Theory]
        [MemberData(nameof(StockTemplates))]
        public void Every_stock_template_patches_cleanly(string relative)
        {
            var stock = SharedFiles.Read(Path.Combine(SharedFiles.CalicoAlp, relative));
            Assert.False(InjectorTemplateEditor.Inspect(stock).IsPatched);
            foreach (var calico in new[] { "3.12.3", "3.17.2", "3.23.1" })
            {
                var set = InjectorTemplateEditor.Set(stock, Calico(calico));
                Assert.Equal(InjectorEditAction.Created, set.Action);
                var state = InjectorTemplateEditor.Inspect(set.After);
                Assert.True(state.IsCompletelyPatched);
                Assert.Equal(1, set.After.Split('\n').Count(l => l.Trim() == "- name: dikastes"));
                var template = TemplateOf(set.After);
                Assert.Null(GoTemplateCheck.FindProblem(template, out var actions));
                GoTemplateCheck.FindProblem(StockTemplateOf(stock), out var stockActions);
                Assert.Equal(stockActions, actions);
                // istioctl 1.4's template does not parse with its actions blanked (if/else duplicates a list item under a
                // mapping); where the stock one does, the patched one must too
                Assert.Equal(InjectorTemplateEditor.TemplateSkeletonParses(StockTemplateOf(stock)), InjectorTemplateEditor.TemplateSkeletonParses(template));
                Assert.Equal(stock, InjectorTemplateEditor.Remove(set.After).After);
                Assert.Equal(InjectorEditAction.Unchanged, InjectorTemplateEditor.Set(set.After, Calico(calico)).Action);
            }
        }

        [Theory]
        [MemberData(nameof(V312Files))]
        public void V323_csi_variant_constructed_from_the_includes(string file)
        {
            var source = SharedFiles.Read(Path.Combine(SharedFiles.CalicoAlp, "v3.12", "manifests", "alp", file));
            const string image = "calico/dikastes:v3.23.0";
            // v3.23 changed istio-volumes only; dikastes-container is v3.17's (no runAsNonRoot)
            var expected = JekyllRender.Render(source, JekyllRender.Includes("v3.23", "v3.17", "v3.12"), image);
            var expectedConfig = InjectorConfigDocument.Load(expected, file).Config;
            Assert.Contains("csi.tigera.io", expectedConfig, StringComparison.Ordinal);

            var doc = InjectorConfigDocument.Load(SharedFiles.Read(Path.Combine(SharedFiles.Rendered("v3.12"), file)), file);
            var stock = InjectorTemplateEditor.Remove(doc.Config).After;
            var set = InjectorTemplateEditor.Set(stock, Calico("3.23.0"));
            Assert.Equal(expectedConfig, set.After);
            Assert.Equal(stock, InjectorTemplateEditor.Remove(expectedConfig).After);
            // from 3.12's patch to 3.23's in place
            Assert.Equal(expectedConfig, InjectorTemplateEditor.Set(doc.Config, Calico("3.23.0")).After);
            // and back from 3.23's CSI patch (with its blank line) to 3.12's
            Assert.Equal(doc.Config, InjectorTemplateEditor.Set(expectedConfig, Calico("3.12.3")).After);
        }

        [Theory]
        [MemberData(nameof(V312Files))]
        public void The_renderer_used_for_constructed_oracles_reproduces_the_stored_v312_renders(string file)
        {
            var source = SharedFiles.Read(Path.Combine(SharedFiles.CalicoAlp, "v3.12", "manifests", "alp", file));
            var rendered = JekyllRender.Render(source, JekyllRender.Includes("v3.12"), "calico/dikastes:v3.12.3");
            Assert.Equal(SharedFiles.Read(Path.Combine(SharedFiles.Rendered("v3.12"), file)), rendered);
        }

        [Theory]
        [InlineData("containers:\n- name: app\n  image: x\n", "volumes:")]
        [InlineData("policy: enabled\ntemplate: |-\n  containers:\n  - name: app\n  volumes:\n  - name: v\n  volumes:\n", "single pod-level")]
        [InlineData("policy: enabled\ntemplate: |-\n  containers:\n  - name: app\n    volumeMounts:\n    - name: m\n  volumes:\n  - name: v\n", "istio-proxy")]
        [InlineData("policy: enabled\ntemplate: |-\n  containers:\n  - name: istio-proxy\n    volumeMounts:\n    - name: m\n    resources: {}\n  volumes:\n  - name: v\n", "volumeMounts")]
        [InlineData("policy: enabled\ntemplate: \"containers: []\"\n", "literal block scalar")]
        public void Unknown_template_is_refused_naming_the_missing_anchor(string config, string named)
        {
            var ex = Assert.Throws<AlpException>(() => InjectorTemplateEditor.Set(config, Calico("3.12.3")));
            Assert.Equal("InjectorTemplateUnrecognized", ex.ErrorId);
            Assert.Contains(named, ex.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Unbalanced_actions_are_refused()
        {
            const string config = "template: |-\n  containers:\n  {{- if .X }}\n  - name: istio-proxy\n    volumeMounts:\n    - name: m\n  volumes:\n  - name: v\n";
            var ex = Assert.Throws<AlpException>(() => InjectorTemplateEditor.Set(config, Calico("3.12.3")));
            Assert.Equal("InjectorTemplateUnrecognized", ex.ErrorId);
            Assert.Contains("never closed", ex.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void A_patch_with_the_same_content_but_other_blank_lines_is_unchanged()
        {
            var doc = InjectorConfigDocument.Load(SharedFiles.Read(Path.Combine(SharedFiles.Rendered("v3.12"), "istio-inject-configmap-1.3.5.yaml")));
            var stock = InjectorTemplateEditor.Remove(doc.Config).After;
            var noBlank = doc.Config
                .Replace("      name: felix-sync\n\n  volumes:", "      name: felix-sync\n  volumes:", StringComparison.Ordinal);
            Assert.NotEqual(doc.Config, noBlank);
            Assert.Equal(InjectorEditAction.Unchanged, InjectorTemplateEditor.Set(noBlank, Calico("3.12.3")).Action);
            Assert.Equal(stock, InjectorTemplateEditor.Remove(noBlank).After);
            // a different image still rewrites the container, with Calico's blank line
            var updated = InjectorTemplateEditor.Set(noBlank, Calico("3.12.2"));
            Assert.Equal(doc.Config.Replace("dikastes:v3.12.3", "dikastes:v3.12.2", StringComparison.Ordinal), updated.After);
        }

        [Fact]
        public void A_second_dikastes_container_is_never_added_and_duplicates_are_healed()
        {
            var doc = InjectorConfigDocument.Load(SharedFiles.Read(Path.Combine(SharedFiles.Rendered("v3.12"), "istio-inject-configmap-1.4.2.yaml")));
            var lines = doc.Config.Split('\n').ToList();
            var start = lines.IndexOf("  - name: dikastes");
            var end = lines.IndexOf("  volumes:");
            lines.InsertRange(end, lines.GetRange(start, end - start)); // a second copy of the container
            var doubled = string.Join("\n", lines);
            Assert.Equal(2, InjectorTemplateEditor.Inspect(doubled).DikastesContainers);
            var set = InjectorTemplateEditor.Set(doubled, Calico("3.12.3"));
            Assert.Equal(InjectorEditAction.Updated, set.Action);
            Assert.Equal(doc.Config, set.After);
        }
    }
}
