using System.Collections.Generic;
using System.Text.Json;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Selectors;
using Xunit;

namespace CalicoAlp.Tests.Policy
{
    [Trait("Category", "Shared")]
    public class SelectorVectorTests
    {
        public static IEnumerable<object[]> Cases()
        {
            for (int i = 0; i < SharedVectors.SelectorCount; i++)
            {
                var c = SharedVectors.Selector(i);
                var sel = c.GetProperty("selector").GetString()!;
                yield return new object[] { i, sel.Length > 60 ? sel.Substring(0, 60) + "..." : sel };
            }
        }

        [Theory]
        [MemberData(nameof(Cases))]
        public void Selector_vector(int index, string selectorText)
        {
            var c = SharedVectors.Selector(index);
            var text = c.GetProperty("selector").GetString()!;
            Assert.StartsWith(selectorText.TrimEnd('.'), text);
            if (c.TryGetProperty("parseError", out var pe) && pe.GetBoolean())
            {
                var ex = Assert.Throws<AlpException>(() => Selector.Parse(text));
                Assert.Equal("InvalidSelector", ex.ErrorId);
                Assert.Equal(AlpErrorKind.InvalidArgument, ex.Kind);
                Assert.Matches(@"column \d+: ", ex.Message);
                return;
            }
            var labels = SharedVectors.LabelsOf(c);
            var selector = Selector.Parse(text);
            Assert.Equal(c.GetProperty("expect").GetBoolean(), selector.Matches(labels));
            // The canonical form parses back to a selector with the same meaning and the same canonical form.
            var again = Selector.Parse(selector.Canonical);
            Assert.Equal(selector.Canonical, again.Canonical);
            Assert.Equal(selector.Matches(labels), again.Matches(labels));
        }
    }

    [Trait("Category", "Shared")]
    public class AlpVectorTests
    {
        public static IEnumerable<object[]> Cases()
        {
            for (int i = 0; i < SharedVectors.AlpCount; i++)
            {
                yield return new object[] { i, SharedVectors.Alp(i).GetProperty("name").GetString()! };
            }
        }

        public static IEnumerable<object[]> VersionCases()
        {
            for (int i = 0; i < SharedVectors.AlpCount; i++)
            {
                var c = SharedVectors.Alp(i);
                foreach (var (version, expect) in SharedVectors.VersionExpectations(c))
                {
                    yield return new object[] { i, c.GetProperty("name").GetString()!, version, expect };
                }
            }
        }

        private static PolicyDecision Run(JsonElement c, string? version, List<TraceStep>? trace = null)
        {
            var engine = PolicyEngine.Compile(SharedVectors.PolicySetOf(c), CalicoBehavior.Parse(version));
            return engine.Evaluate(SharedVectors.RequestOf(c), trace);
        }

        [Theory]
        [MemberData(nameof(Cases))]
        public void Alp_vector_baseline(int index, string name)
        {
            var c = SharedVectors.Alp(index);
            Assert.Equal(name, c.GetProperty("name").GetString());
            var trace = new List<TraceStep>();
            var d = Run(c, null, trace);
            var expect = c.GetProperty("expect").GetString();
            var expectStatus = c.TryGetProperty("expectStatus", out var es) ? es.GetString() : (expect == "Allow" ? "OK" : "PERMISSION_DENIED");
            string why = string.Join("\n", trace);
            Assert.True(expect == d.Verdict.ToString(), $"expected {expect}, got {d}\n{why}");
            Assert.True(expectStatus == d.Status.ToString(), $"expected {expectStatus}, got {d}\n{why}");
            // Without a trace the engine must reach the same decision.
            var plain = Run(c, null);
            Assert.Equal(d.Verdict, plain.Verdict);
            Assert.Equal(d.Status, plain.Status);
            Assert.Equal(d.RuleIndex, plain.RuleIndex);
        }

        [Theory]
        [MemberData(nameof(VersionCases))]
        public void Alp_vector_older_version(int index, string name, string version, string expect)
        {
            var c = SharedVectors.Alp(index);
            Assert.Equal(name, c.GetProperty("name").GetString());
            var trace = new List<TraceStep>();
            var d = Run(c, version, trace);
            Assert.True(expect == d.Verdict.ToString(), $"{version}: expected {expect}, got {d}\n{string.Join("\n", trace)}");
        }
    }
}
