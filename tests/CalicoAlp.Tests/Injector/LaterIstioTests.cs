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

        [Theory]
        [InlineData("v3.17", "3.17.0")]
        [InlineData("v3.19", "3.19.0")]
        public void Istio_17_template_is_refused_because_volumes_does_not_follow_istio_proxy(string docs, string calico)
        {
            var config = Config(docs, "istio-inject-configmap-1.7.yaml", calico);
            var stock = InjectorTemplateEditor.Remove(config).After;
            var ex = Assert.Throws<AlpException>(() => InjectorTemplateEditor.Set(stock, DikastesSidecarOptions.From(calico, null)));
            Assert.Equal(InjectorTemplateEditor.UnrecognizedErrorId, ex.ErrorId);
            Assert.Contains("'volumes:' right after the istio-proxy container", ex.Message, StringComparison.Ordinal);
        }

        [Theory]
        [InlineData("istio-inject-configmap-1.9.yaml")]
        [InlineData("istio-inject-configmap-1.10.yaml")]
        public void Istio_19_and_110_configs_are_refused_naming_the_template_key(string file)
        {
            var config = Config("v3.20", file, "3.20.0");
            foreach (var act in new Action[] { () => InjectorTemplateEditor.Set(config, DikastesSidecarOptions.From("3.20.0", null)), () => InjectorTemplateEditor.Remove(config) })
            {
                var ex = Assert.Throws<AlpException>(act);
                Assert.Equal(InjectorTemplateEditor.UnrecognizedErrorId, ex.ErrorId);
                Assert.Contains("'template:' as a literal block scalar", ex.Message, StringComparison.Ordinal);
            }
        }
    }
}
