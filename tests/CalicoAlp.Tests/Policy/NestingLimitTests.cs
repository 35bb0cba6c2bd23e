using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Injector;
using CalicoAlp.Core.Policy.Loading;
using CalicoAlp.Core.Policy.Replay;
using CalicoAlp.Core.Policy.Selectors;
using Xunit;

namespace CalicoAlp.Tests.Policy
{
    /// <summary>
    /// Deep nesting ends in our NestingTooDeep error (issue 9 item 2): before the limits, each of these inputs overflowed
    /// the stack and killed the process (the test host too). Input at the limit still works.
    /// </summary>
    public class NestingLimitTests
    {
        private static string Nested(string open, string inner, string close, int depth)
        {
            var sb = new StringBuilder(depth * (open.Length + close.Length) + inner.Length);
            for (int i = 0; i < depth; i++) sb.Append(open);
            sb.Append(inner);
            for (int i = 0; i < depth; i++) sb.Append(close);
            return sb.ToString();
        }

        private static string Gnp(string name, string selector) =>
            $"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: {name}\nspec:\n  selector: \"{selector}\"\n";

        // ------------------------------------------------------------------ selectors

        [Fact]
        public void A_selector_nested_20000_deep_is_refused_without_echoing_it()
        {
            var text = Nested("(", "a == 'b'", ")", 20000);
            var ex = Assert.Throws<AlpException>(() => Selector.Parse(text));
            Assert.Equal("NestingTooDeep", ex.ErrorId);
            Assert.Equal(AlpErrorKind.InvalidArgument, ex.Kind);
            Assert.Contains($"column {InputLimits.SelectorNesting + 1}: parentheses nest deeper than {InputLimits.SelectorNesting} levels", ex.Message);
            Assert.True(ex.Message.Length < 400, ex.Message);
        }

        [Fact]
        public void A_selector_nested_exactly_to_the_limit_parses_and_matches()
        {
            var text = Nested("(", "a == 'b'", ")", InputLimits.SelectorNesting);
            var s = Selector.Parse(text);
            Assert.True(s.Matches(new Dictionary<string, string> { ["a"] = "b" }));
            Assert.False(s.Matches(new Dictionary<string, string> { ["a"] = "c" }));
            var negated = Nested("!(", "a == 'b'", ")", InputLimits.SelectorNesting);
            Assert.Equal(InputLimits.SelectorNesting % 2 == 0, Selector.Parse(negated).Matches(new Dictionary<string, string> { ["a"] = "b" }));
            Assert.Equal("NestingTooDeep", Assert.Throws<AlpException>(() => Selector.Parse("(" + text + ")")).ErrorId);
        }

        [Fact]
        public void A_policy_file_with_a_too_deep_selector_names_file_line_and_field()
        {
            var ex = Assert.Throws<AlpException>(() => PolicyLoader.LoadText(Gnp("deep", Nested("(", "a == 'b'", ")", 20000)), "deep.yaml"));
            Assert.Equal("NestingTooDeep", ex.ErrorId);
            Assert.Equal(AlpErrorKind.InvalidData, ex.Kind);
            Assert.StartsWith("deep.yaml:6: document 1: field 'spec.selector':", ex.Message, StringComparison.Ordinal);
            Assert.Equal("deep.yaml:6", ex.Target);
            Assert.True(ex.Message.Length < 500, ex.Message);
        }

        // ------------------------------------------------------------------ YAML/JSON documents

        [Fact]
        public void Yaml_nested_100000_deep_names_file_line_and_field()
        {
            var yaml = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: deep\n  annotations: " + Nested("{a: ", "b", "}", 100000) + "\n";
            var ex = Assert.Throws<AlpException>(() => PolicyLoader.LoadText(yaml, "deep.yaml"));
            Assert.Equal("NestingTooDeep", ex.ErrorId);
            Assert.Equal(AlpErrorKind.InvalidData, ex.Kind);
            Assert.StartsWith("deep.yaml:5: field 'metadata.annotations.a.a.a.a...(56 more)...a.a':", ex.Message, StringComparison.Ordinal);
            Assert.Contains($"nest deeper than {InputLimits.DocumentNesting} levels", ex.Message);
            Assert.Equal("deep.yaml:5", ex.Target);
        }

        [Fact]
        public void Json_and_block_yaml_too_deep_are_refused_with_the_path()
        {
            var json = "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":" + Nested("[", "", "]", 100000) + "}";
            var ex = Assert.Throws<AlpException>(() => PolicyLoader.LoadText(json, "deep.json"));
            Assert.Equal("NestingTooDeep", ex.ErrorId);
            // 64 open collections: the root mapping (key items) and 63 sequences; the middle of the path is shortened.
            Assert.StartsWith("deep.json:1: field 'items[0][0][0][0][0]...(56 more)...[0][0]': mappings and sequences nest deeper than 64 levels", ex.Message, StringComparison.Ordinal);

            // Block style, one level per line: the line is the first one past the limit.
            var sb = new StringBuilder("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\nspec:\n");
            for (int i = 0; i < InputLimits.DocumentNesting + 5; i++) sb.Append(new string(' ', 2 * (i + 1))).Append("k").Append(i).Append(":\n");
            sb.Append(new string(' ', 2 * (InputLimits.DocumentNesting + 6))).Append("v: 1\n");
            var block = Assert.Throws<AlpException>(() => PolicyLoader.LoadText(sb.ToString(), "block.yaml"));
            Assert.Equal("NestingTooDeep", block.ErrorId);
            Assert.StartsWith($"block.yaml:{5 + InputLimits.DocumentNesting}: field 'spec.k0.k1.k2.k3.k4.", block.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void A_document_nested_exactly_to_the_limit_loads()
        {
            // Depth 1 is the object itself, 2 metadata, 3 annotations' value... up to the limit in an unknown field.
            var yaml = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ok\n  labels: {team: a}\nextra: " + Nested("[", "", "]", InputLimits.DocumentNesting - 1) + "\n";
            var set = PolicyLoader.LoadText(yaml, "ok.yaml");
            Assert.Equal("a", Assert.Single(set.Namespaces).Labels["team"]);
            var over = "apiVersion: v1\nkind: Namespace\nmetadata: {name: ok}\nextra: " + Nested("[", "", "]", InputLimits.DocumentNesting) + "\n";
            Assert.Equal("NestingTooDeep", Assert.Throws<AlpException>(() => PolicyLoader.LoadText(over, "over.yaml")).ErrorId);
        }

        // ------------------------------------------------------------------ cluster objects

        [Fact]
        public void A_bad_cluster_object_is_skipped_and_reported_with_its_name_and_field()
        {
            var deep = "{\"apiVersion\":\"crd.projectcalico.org/v1\",\"kind\":\"GlobalNetworkPolicy\",\"metadata\":{\"name\":\"default.deep\"}," +
                       "\"spec\":{\"selector\":\"" + Nested("(", "a == 'b'", ")", 20000) + "\"}}";
            var good = "{\"apiVersion\":\"crd.projectcalico.org/v1\",\"kind\":\"GlobalNetworkPolicy\",\"metadata\":{\"name\":\"default.good\"}," +
                       "\"spec\":{\"selector\":\"all()\",\"ingress\":[{\"action\":\"Allow\"}]}}";
            var skipped = new List<(string Source, AlpException Error)>();
            var set = PolicyLoader.LoadObjects(
                new[] { (deep, "GlobalNetworkPolicy 'default.deep' in cluster 'c'"), (good, "GlobalNetworkPolicy 'default.good' in cluster 'c'") },
                (source, ex) => skipped.Add((source, ex)));
            Assert.Equal("good", Assert.Single(set.Policies).Name);
            var (src, error) = Assert.Single(skipped);
            Assert.Equal("GlobalNetworkPolicy 'default.deep' in cluster 'c'", src);
            Assert.Equal("NestingTooDeep", error.ErrorId);
            // No line or document numbers: the serialised text is not the user's.
            Assert.StartsWith("GlobalNetworkPolicy 'default.deep' in cluster 'c': field 'spec.selector': Invalid selector '((((", error.Message, StringComparison.Ordinal);
        }

        // ------------------------------------------------------------------ injector documents

        [Fact]
        public void An_injector_document_with_100000_deep_annotations_is_refused_naming_the_field()
        {
            var yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-sidecar-injector\n  annotations: " + Nested("{a: ", "b", "}", 100000) +
                       "\ndata:\n  config: |\n    policy: enabled\n";
            var ex = Assert.Throws<AlpException>(() => InjectorConfigDocument.Load(yaml, "inj.yaml"));
            Assert.Equal("NestingTooDeep", ex.ErrorId);
            Assert.Equal(AlpErrorKind.InvalidData, ex.Kind);
            Assert.StartsWith("inj.yaml:5: field 'metadata.annotations.a.a.a.a.", ex.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void An_injector_document_nested_to_the_limit_still_loads()
        {
            var yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-sidecar-injector\n  x: " + Nested("[", "", "]", InputLimits.DocumentNesting - 2) +
                       "\ndata:\n  config: |\n    policy: enabled\n";
            Assert.Equal("policy: enabled\n", InjectorConfigDocument.Load(yaml, "inj.yaml").Config);
        }

        [Fact]
        public void A_too_deep_injector_config_value_is_refused()
        {
            var config = "policy: enabled\nx: " + Nested("[", "", "]", 100000) + "\ntemplate: |\n  containers: []\n";
            var ex = Assert.Throws<AlpException>(() => InjectorTemplateEditor.DecodeTemplate(config));
            Assert.Equal("NestingTooDeep", ex.ErrorId);
            Assert.StartsWith("the injector config (data.config):2: field 'x[0][0]", ex.Message, StringComparison.Ordinal);
            Assert.Equal("containers: []\n", InjectorTemplateEditor.DecodeTemplate("policy: enabled\nx: " + Nested("[", "", "]", InputLimits.DocumentNesting - 1) + "\ntemplate: |\n  containers: []\n"));
        }

        [Fact]
        public void Json_readers_turn_System_Text_Json_depth_errors_into_ours()
        {
            // System.Text.Json stops at MaxDepth 64 with a JsonException: it must reach the user as our error.
            var json = "{\"kind\":\"ConfigMap\",\"metadata\":{\"annotations\":" + Nested("{\"a\":", "1", "}", 100000) + "},\"data\":{\"config\":\"x\"}}";
            var ex = Assert.Throws<AlpException>(() => InjectorConfigDocument.Load(json, "inj.json"));
            Assert.Equal("InjectorConfigMapInvalid", ex.ErrorId);
            Assert.Contains("depth", ex.Message, StringComparison.OrdinalIgnoreCase);

            var line = Encoding.UTF8.GetBytes("{\"method\":\"GET\",\"x\":" + Nested("[", "", "]", 100000) + "}");
            Assert.False(AccessLogParser.TryParse(line, new AccessLogEntry(), out var error));
            Assert.Contains("depth", error, StringComparison.OrdinalIgnoreCase);
        }
    }
}
