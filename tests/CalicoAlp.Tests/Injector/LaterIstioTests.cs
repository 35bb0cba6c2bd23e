using System;
using System.IO;
using System.Linq;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Injector;
using Xunit;

namespace CalicoAlp.Tests.Injector
{
    /// <summary>
    /// Calico's later injector files (Istio 1.6-1.10, Jekyll sources rendered with that docs version's includes) are
    /// outside the 1.0-1.4 scope: the editor must either patch them provably or refuse them by name, never guess.
    /// </summary>
    [Trait("Category", "Shared")]
    public class LaterIstioTests
    {
        private static string Config(string docs, string file, string calico)
        {
            var source = SharedFiles.Read(Path.Combine(SharedFiles.CalicoAlp, docs, "manifests", "alp", file));
            var rendered = JekyllRender.Render(source, JekyllRender.Includes(docs, "v3.20", "v3.17", "v3.12"), "calico/dikastes:v" + calico);
            return InjectorConfigDocument.Load(rendered, file).Config;
        }

        [Fact]
        public void Istio_16_file_is_unpatched_and_repatched_provably()
        {
            var calico = Config("v3.17", "istio-inject-configmap-1.6.yaml", "3.17.0");
            var removed = InjectorTemplateEditor.Remove(calico);
            Assert.Equal(InjectorEditAction.Removed, removed.Action);
            Assert.False(InjectorTemplateEditor.Inspect(removed.After).IsPatched);
            var set = InjectorTemplateEditor.Set(removed.After, DikastesSidecarOptions.From("3.17.0", null));
            Assert.True(InjectorTemplateEditor.Inspect(set.After).IsCompletelyPatched);
            Assert.Equal(removed.After, InjectorTemplateEditor.Remove(set.After).After);
            // the mount and the container land where Calico put them; only the volumes' place in the list differs
            var calicoLines = calico.Split('\n');
            Assert.Equal(calicoLines.OrderBy(l => l, StringComparer.Ordinal), set.After.Split('\n').OrderBy(l => l, StringComparer.Ordinal));
        }

        [Fact]
        public void Calicos_v317_istio_17_file_with_the_mount_after_dnsConfig_is_repaired_to_the_v319_placement()
        {
            // Calico v3.17/v3.18 put the mount and the container after the ISTIO_META_DNS_CAPTURE dnsConfig block (issue
            // #4508): with DNS capture on, they landed inside dnsConfig. Remove finds them there; Set puts them before it.
            var pair = new GenerationPair("1.7.4", "3.17.6", "gen1_v3.17-v3.19/rendered-v3.17.6/istio-inject-configmap-1.7.yaml");
            var fixedPair = new GenerationPair("1.7.4", "3.19.4", "gen1_v3.17-v3.19/rendered-v3.19.4/istio-inject-configmap-1.7.yaml");
            var buggy = pair.CalicoConfig;
            var dns = buggy.IndexOf("ISTIO_META_DNS_CAPTURE", StringComparison.Ordinal);
            Assert.True(buggy.IndexOf("name: dikastes-sock", StringComparison.Ordinal) > dns, "the v3.17 file has the mount after the dnsConfig block");

            var removed = InjectorTemplateEditor.Remove(buggy);
            Assert.True(removed.StateBefore.IsCompletelyPatched);
            Assert.Equal(pair.StockConfig.Replace("injectedAnnotations:\n\n", "", StringComparison.Ordinal), removed.After);

            var set = InjectorTemplateEditor.Set(buggy, pair.Options, IstioTemplateVersion.Given("1.7.4"));
            Assert.Equal(InjectorEditAction.Updated, set.Action);
            Assert.Equal(fixedPair.CalicoConfig.Replace("calico/dikastes:v3.19.4", "calico/dikastes:v3.17.6", StringComparison.Ordinal), set.After);
            Assert.True(set.After.IndexOf("name: dikastes-sock", StringComparison.Ordinal) < set.After.IndexOf("ISTIO_META_DNS_CAPTURE", StringComparison.Ordinal));
        }

        [Fact]
        public void Istio_1613_stock_is_patched_surgically_where_calicos_16_file_would_revert_its_template_change()
        {
            var stockPath = Path.Combine(GenerationPair.Modern, "istio-stock", "1.6.13", "rendered", "istio-sidecar-injector.configmap.yaml");
            var stock = InjectorConfigDocument.Load(SharedFiles.Read(stockPath), stockPath).Config;
            var set = InjectorTemplateEditor.Set(stock, DikastesSidecarOptions.From("3.19.4", null), IstioTemplateVersion.Given("1.6.13"));
            Assert.Equal(InjectorEditAction.Created, set.Action);
            Assert.True(InjectorTemplateEditor.Inspect(set.After).IsCompletelyPatched);
            Assert.Equal(stock, InjectorTemplateEditor.Remove(set.After).After);
        }
    }
}
