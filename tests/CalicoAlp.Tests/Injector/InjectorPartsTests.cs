using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Injector;
using Xunit;

namespace CalicoAlp.Tests.Injector
{
    [Trait("Category", "Shared")]
    public class InjectorPartsTests
    {
        public static IEnumerable<object[]> AllRendered() =>
            new[] { "v3.9", "v3.10", "v3.11", "v3.12" }.SelectMany(d => SharedFiles.InjectConfigMaps(d).Select(f => new object[] { d, Path.GetFileName(f) }));

        [Theory]
        [MemberData(nameof(AllRendered))]
        public void Istio_version_is_detected_exactly_where_the_file_tells_it_else_the_minor(string docs, string file)
        {
            var doc = InjectorConfigDocument.Load(SharedFiles.Read(Path.Combine(SharedFiles.Rendered(docs), file)));
            var istio = IstioTemplateVersion.Detect(doc.Config, doc.Values);
            var actual = SharedFiles.IstioVersionOf(file);
            // 1.0/1.1 bake image tags into the template; v3.11's 1.2/1.3 ConfigMaps carry values (global.tag)
            var exact = actual.StartsWith("1.0.", StringComparison.Ordinal) || actual.StartsWith("1.1.", StringComparison.Ordinal) || doc.Values != null;
            Assert.Equal(exact ? actual : actual[..actual.LastIndexOf('.')], istio.Version);
        }

        [Fact]
        public void IstioVersion_override_is_validated()
        {
            Assert.Equal("1.4.2", IstioTemplateVersion.Given("v1.4.2").Version);
            Assert.Equal("IstioVersionInvalid", Assert.Throws<AlpException>(() => IstioTemplateVersion.Given("latest")).ErrorId);
        }

        [Theory]
        [InlineData("3.12.3", null, "calico/dikastes:v3.12.3", FelixSyncVolumeKind.FlexVolume, true)]
        [InlineData("3.16.9", null, "calico/dikastes:v3.16.9", FelixSyncVolumeKind.FlexVolume, true)]
        [InlineData("3.17.0", null, "calico/dikastes:v3.17.0", FelixSyncVolumeKind.FlexVolume, false)]
        [InlineData("3.22.5", null, "calico/dikastes:v3.22.5", FelixSyncVolumeKind.FlexVolume, false)]
        [InlineData("3.23.0", null, "calico/dikastes:v3.23.0", FelixSyncVolumeKind.Csi, false)]
        [InlineData(null, "quay.io/calico/dikastes:v3.23.2", "quay.io/calico/dikastes:v3.23.2", FelixSyncVolumeKind.Csi, false)]
        [InlineData("3.12.3", "mirror.local:5000/dikastes:patched", "mirror.local:5000/dikastes:patched", FelixSyncVolumeKind.FlexVolume, true)]
        public void Options_follow_the_calico_version(string? calico, string? image, string expectedImage, FelixSyncVolumeKind volume, bool runAsNonRoot)
        {
            var o = DikastesSidecarOptions.From(calico, image);
            Assert.Equal(expectedImage, o.Image);
            Assert.Equal(volume, o.FelixSync);
            Assert.Equal(runAsNonRoot, o.RunAsNonRoot);
            Assert.Equal(runAsNonRoot, o.ContainerLines(0).Contains("    runAsNonRoot: true"));
        }

        [Fact]
        public void Csi_volume_lines_are_the_v323_include()
        {
            var include = SharedFiles.Read(Path.Combine(SharedFiles.CalicoAlp, "v3.23", "_includes", "non-helm-manifests", "istio-volumes"));
            var o = DikastesSidecarOptions.From("3.23.0", null);
            Assert.Equal(include, string.Join("\n", o.SocketVolumeLines(6).Concat(o.FelixSyncVolumeLines(6))) + "\n");
        }

        [Fact]
        public void Double_quoted_config_is_written_back_as_a_literal_block_and_the_rest_is_kept()
        {
            const string header = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-sidecar-injector # keep me\n  namespace: istio-system\ndata:\n";
            var stock = InjectorTemplateEditor.Remove(InjectorConfigDocument.Load(SharedFiles.Read(Path.Combine(SharedFiles.Rendered("v3.12"), "istio-inject-configmap-1.2.0.yaml"))).Config).After;
            var quoted = "\"" + stock.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
            var text = header + "  config: " + quoted + "\n  values: '{}'\n";
            var doc = InjectorConfigDocument.Load(text);
            Assert.Equal(stock, doc.Config);
            Assert.Equal("{}", doc.Values);

            var edit = InjectorDocumentEdit.Set(text, "test", DikastesSidecarOptions.From("3.12.3", null), null);
            Assert.StartsWith(header + "  config: |-\n    policy: enabled\n", edit.Output, StringComparison.Ordinal);
            Assert.EndsWith("\n  values: '{}'\n", edit.Output, StringComparison.Ordinal);
            Assert.Equal(edit.Edit.After, InjectorConfigDocument.Load(edit.Output).Config);
        }

        [Fact]
        public void Bom_and_other_documents_are_kept()
        {
            var file = SharedFiles.Read(Path.Combine(SharedFiles.Rendered("v3.9"), "istio-inject-configmap-1.1.7.yaml"));
            var text = "\uFEFF" + file;
            var edit = InjectorDocumentEdit.Remove(text, "test");
            Assert.StartsWith("\uFEFFapiVersion: v1\n", edit.Output, StringComparison.Ordinal);
            Assert.Equal(InjectorEditAction.Removed, edit.Edit.Action);
            var back = InjectorDocumentEdit.Set(edit.Output, "test", DikastesSidecarOptions.From("3.9.6", null), null);
            Assert.Equal(text, back.Output);
        }

        [Theory]
        [InlineData("kind: Secret\ndata:\n  config: x\n", "kind is Secret")]
        [InlineData("data:\n  values: x\n", "no data.config")]
        [InlineData("{\"data\": {\"config\": 1}}", "no string data.config")]
        [InlineData("data: [\n", "invalid YAML")]
        public void Documents_that_are_not_injector_configmaps_are_refused(string text, string why)
        {
            var ex = Assert.Throws<AlpException>(() => InjectorConfigDocument.Load(text, "x"));
            Assert.Equal("InjectorConfigMapInvalid", ex.ErrorId);
            Assert.Contains(why, ex.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Crlf_configs_keep_their_line_endings()
        {
            var config = InjectorConfigDocument.Load(SharedFiles.Read(Path.Combine(SharedFiles.Rendered("v3.12"), "istio-inject-configmap-1.3.1.yaml"))).Config;
            var stock = InjectorTemplateEditor.Remove(config).After;
            var crlf = stock.Replace("\n", "\r\n", StringComparison.Ordinal);
            var set = InjectorTemplateEditor.Set(crlf, DikastesSidecarOptions.From("3.12.3", null));
            Assert.Equal(config.Replace("\n", "\r\n", StringComparison.Ordinal), set.After);
        }

        [Theory]
        [InlineData("{{ if .A }}x{{ else }}y{{ end }}", null, 3)]
        [InlineData("{{- range .X }}{{ with .Y }}{{ end }}{{- end }}", null, 4)]
        [InlineData("{{ if .A }}x", "never closed", 1)]
        [InlineData("{{ end }}", "without an open block", 1)]
        [InlineData("a }} b", "without", 0)]
        [InlineData("{{ \"}}\" }} {{ `{{` }}", null, 2)]
        [InlineData("[[ if .A ]]x[[ end ]]", null, 2)]
        [InlineData("{{ if .A }\n}}", "not closed", 0)]
        public void Go_template_actions_are_checked(string template, string? problem, int actions)
        {
            var found = GoTemplateCheck.FindProblem(template, out var count);
            if (problem == null)
            {
                Assert.Null(found);
                Assert.Equal(actions, count);
            }
            else
            {
                Assert.Contains(problem, found, StringComparison.Ordinal);
            }
        }

        [Theory]
        [InlineData("containers:\n{{- if .A }}\n- name: a\n  image: \"{{ .Image }}\"\n{{- else }}\n- name: b\n{{- end }}\n", true)]
        [InlineData("a:\n  - b\n c: d\n", false)]
        [InlineData("containers:\n- name: a\n  image: [[ .Image ]]\nvolumes: [\n", false)]
        public void Template_skeleton_check_blanks_actions_and_parses(string template, bool parses)
        {
            Assert.Equal(parses, InjectorTemplateEditor.TemplateSkeletonParses(template));
        }

        [Fact]
        public void Unified_diff_has_hunks_with_context_and_counts()
        {
            var a = string.Join("\n", Enumerable.Range(1, 20).Select(i => "line" + i));
            var b = a.Replace("line5\n", "line5\nnew\n", StringComparison.Ordinal).Replace("line18", "LINE18", StringComparison.Ordinal);
            var diff = UnifiedDiff.Create(a, b);
            Assert.Equal(
                "--- a/config\n+++ b/config\n" +
                "@@ -3,6 +3,7 @@\n line3\n line4\n line5\n+new\n line6\n line7\n line8\n" +
                "@@ -15,6 +16,6 @@\n line15\n line16\n line17\n-line18\n+LINE18\n line19\n line20\n",
                diff);
            Assert.Equal("", UnifiedDiff.Create(a, a));
        }
    }
}
