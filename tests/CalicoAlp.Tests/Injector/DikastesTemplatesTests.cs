using System;
using System.IO;
using System.Linq;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Injector;
using Xunit;

namespace CalicoAlp.Tests.Injector
{
    /// <summary>Istio 1.22+: Calico's dikastes / dikastes-gateway templates added to the stock config (generations spec §5).</summary>
    [Trait("Category", "Shared")]
    public class DikastesTemplatesTests
    {
        private static string Stock(string istio) =>
            SharedFiles.Read(Path.Combine(GenerationPair.Modern, "istio-stock", istio, "rendered", "data.config.txt"));

        private static string Derived =>
            SharedFiles.Read(Path.Combine(GenerationPair.Modern, "gen5_current-docs", "derived", "istio-1.28.1.istio-sidecar-injector.data.config.with-dikastes.txt"));

        private static DikastesSidecarOptions DocsOptions => DikastesSidecarOptions.From("3.31.7", "quay.io/calico/dikastes:v3.31");

        [Fact]
        public void Set_on_istio_1281_equals_what_istioctl_renders_from_calicos_istiooperator()
        {
            var stock = Stock("1.28.1");
            var set = InjectorTemplateEditor.Set(stock, DocsOptions, IstioTemplateVersion.Given("1.28.1"));
            Assert.Equal(InjectorEditAction.Created, set.Action);
            // parsed equal: every template decodes to the same text, and the other keys are the same lines
            var want = DikastesTemplates.Decode(Derived);
            var got = DikastesTemplates.Decode(set.After);
            Assert.Equal(want.Keys, got.Keys);
            foreach (var k in want.Keys) Assert.Equal(want[k], got[k]);
            // and byte for byte: stock lines untouched, Calico's appended (the derived file has a newline added at its end)
            Assert.StartsWith(stock.TrimEnd('\n'), set.After, StringComparison.Ordinal);
            Assert.Equal(Derived.TrimEnd('\n'), set.After.TrimEnd('\n'));
        }

        [Theory]
        [InlineData("1.22.8")]
        [InlineData("1.28.1")]
        [InlineData("1.30.3")]
        public void Remove_gives_the_stock_bytes_back_and_set_twice_is_unchanged(string istio)
        {
            var stock = Stock(istio);
            var options = DikastesSidecarOptions.From("3.32.1", null);
            var set = InjectorTemplateEditor.Set(stock, options, IstioTemplateVersion.Given(istio));
            Assert.Equal("quay.io/calico/dikastes:v3.32.1", set.StateBefore.Image ?? options.Image);
            Assert.True(InjectorTemplateEditor.Inspect(set.After).IsCompletelyPatched);
            Assert.Equal(InjectorEditAction.Unchanged, InjectorTemplateEditor.Set(set.After, options, IstioTemplateVersion.Given(istio)).Action);
            var removed = InjectorTemplateEditor.Remove(set.After);
            Assert.Equal(InjectorEditAction.Removed, removed.Action);
            Assert.Equal(stock, removed.After);
            // the stock templates are byte for byte in the patched config
            var stockTemplates = DikastesTemplates.Decode(stock);
            var patched = DikastesTemplates.Decode(set.After);
            foreach (var (name, text) in stockTemplates) Assert.Equal(text, patched[name]);
            Assert.Equal(stockTemplates.Count + 2, patched.Count);
        }

        [Fact]
        public void A_config_without_a_final_newline_as_helm_writes_it_round_trips_byte_for_byte()
        {
            // Helm's `config: |-` strips the final newline: the config ends inside its last template (kube-gateway).
            var stock = Stock("1.28.1").TrimEnd('\n');
            var v = IstioTemplateVersion.Given("1.28.1");
            var set = InjectorTemplateEditor.Set(stock, DikastesSidecarOptions.From("3.31.7", null), v);
            Assert.Equal(InjectorEditAction.Created, set.Action);
            Assert.True(InjectorTemplateEditor.Inspect(set.After).IsCompletelyPatched);
            Assert.False(set.After.EndsWith('\n'));
            Assert.Equal(stock, InjectorTemplateEditor.Remove(set.After).After);
            // only the last stock template's final line break differs in its decoded value
            var before = DikastesTemplates.Decode(stock);
            var after = DikastesTemplates.Decode(set.After);
            foreach (var (name, text) in before) Assert.Equal(name == "kube-gateway" ? text + "\n" : text, after[name]);
        }

        [Fact]
        public void Another_calico_version_updates_both_templates_in_place_and_flexvolume_before_323()
        {
            var stock = Stock("1.28.1");
            var v = IstioTemplateVersion.Given("1.28.1");
            var first = InjectorTemplateEditor.Set(stock, DikastesSidecarOptions.From("3.32.1", null), v);
            var older = InjectorTemplateEditor.Set(first.After, DikastesSidecarOptions.From("3.22.5", null), v);
            Assert.Equal(InjectorEditAction.Updated, older.Action);
            Assert.Equal("quay.io/calico/dikastes:v3.32.1", older.StateBefore.Image);
            var templates = DikastesTemplates.Decode(older.After);
            Assert.Contains("flexVolume:", templates["dikastes"], StringComparison.Ordinal);
            Assert.Contains("image: calico/dikastes:v3.22.5", templates["dikastes-gateway"], StringComparison.Ordinal);
            Assert.Equal(stock, InjectorTemplateEditor.Remove(older.After).After);
        }

        [Fact]
        public void A_customised_dikastes_template_is_refused_and_replaced_only_with_force()
        {
            var v = IstioTemplateVersion.Given("1.28.1");
            var options = DikastesSidecarOptions.From("3.32.1", null);
            var set = InjectorTemplateEditor.Set(Stock("1.28.1"), options, v);
            var custom = set.After.Replace("      - name: dikastes\n        image: quay.io/calico/dikastes:v3.32.1\n",
                "      - name: dikastes\n        image: quay.io/calico/dikastes:v3.32.1\n        resources: {limits: {memory: 64Mi}}\n", StringComparison.Ordinal);
            Assert.NotEqual(set.After, custom);
            var ex = Assert.Throws<AlpException>(() => InjectorTemplateEditor.Set(custom, DikastesSidecarOptions.From("3.31.7", null), v));
            Assert.Equal(DikastesCustomization.ErrorId, ex.ErrorId);
            Assert.Contains("resources: {limits: {memory: 64Mi}}", ex.Message, StringComparison.Ordinal);
            var forced = InjectorTemplateEditor.Set(custom, DikastesSidecarOptions.From("3.31.7", null), v, force: true);
            Assert.Equal(2, forced.ReplacedCustomizations.Count); // the line was added to both templates
            Assert.DoesNotContain("64Mi", forced.After, StringComparison.Ordinal);
        }

        [Fact]
        public void Before_istio_122_the_templates_map_is_patched_inline_not_with_dikastes_templates()
        {
            var pair = GenerationPair.All().First(p => p.Istio == "1.15.2");
            var set = InjectorTemplateEditor.Set(pair.StockConfig, pair.Options, IstioTemplateVersion.Given("1.15.2"));
            Assert.False(DikastesTemplates.IsPresent(set.After));
            Assert.True(InjectorTemplateEditor.Inspect(set.After).IsCompletelyPatched);
        }

        private static YamlDotNet.RepresentationModel.YamlMappingNode Load(string text)
        {
            var stream = new YamlDotNet.RepresentationModel.YamlStream();
            stream.Load(new StringReader(text));
            return (YamlDotNet.RepresentationModel.YamlMappingNode)stream.Documents[0].RootNode;
        }

        private static YamlDotNet.RepresentationModel.YamlMappingNode At(YamlDotNet.RepresentationModel.YamlMappingNode node, params string[] path)
        {
            foreach (var key in path) node = (YamlDotNet.RepresentationModel.YamlMappingNode)node.Children[new YamlDotNet.RepresentationModel.YamlScalarNode(key)];
            return node;
        }

        private static string Text(YamlDotNet.RepresentationModel.YamlMappingNode map, string key) =>
            ((YamlDotNet.RepresentationModel.YamlScalarNode)map.Children[new YamlDotNet.RepresentationModel.YamlScalarNode(key)]).Value!;

        [Fact]
        public void The_istiooperator_overlay_has_the_templates_of_calicos_documented_istiooperator()
        {
            var docs = Load(SharedFiles.Read(Path.Combine(GenerationPair.Modern, "gen5_current-docs", "derived", "istio-operator-dikastes.v3.31.yaml")));
            var ours = Load(DikastesTemplates.Overlay(DocsOptions, OverlayFormat.IstioOperator));
            Assert.Equal("IstioOperator", ((YamlDotNet.RepresentationModel.YamlScalarNode)ours.Children[new YamlDotNet.RepresentationModel.YamlScalarNode("kind")]).Value);
            var want = At(docs, "spec", "values", "sidecarInjectorWebhook", "templates");
            var got = At(ours, "spec", "values", "sidecarInjectorWebhook", "templates");
            Assert.Equal(want.Children.Count, got.Children.Count);
            foreach (var name in new[] { "dikastes", "dikastes-gateway" }) Assert.Equal(Text(want, name), Text(got, name));
            // no profile: it merges into the user's own IstioOperator
            Assert.False(At(ours, "spec").Children.ContainsKey(new YamlDotNet.RepresentationModel.YamlScalarNode("profile")));
            // and what istioctl renders from those values is the derived ConfigMap config
            var derived = DikastesTemplates.Decode(SharedFiles.Read(Path.Combine(GenerationPair.Modern, "gen5_current-docs", "derived", "istio-1.28.1.istio-sidecar-injector.data.config.with-dikastes.txt")));
            Assert.Equal(derived["dikastes"], Text(got, "dikastes"));
        }

        [Fact]
        public void The_helm_values_overlay_has_the_same_templates()
        {
            var op = At(Load(DikastesTemplates.Overlay(DocsOptions, OverlayFormat.IstioOperator)), "spec", "values", "sidecarInjectorWebhook", "templates");
            var helm = At(Load(DikastesTemplates.Overlay(DocsOptions, OverlayFormat.HelmValues)), "sidecarInjectorWebhook", "templates");
            foreach (var name in new[] { "dikastes", "dikastes-gateway" }) Assert.Equal(Text(op, name), Text(helm, name));
        }
    }
}
