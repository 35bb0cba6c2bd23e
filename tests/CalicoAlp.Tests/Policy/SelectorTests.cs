using System.Collections.Generic;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Selectors;
using Xunit;

namespace CalicoAlp.Tests.Policy
{
    public class SelectorTests
    {
        [Theory]
        [InlineData("! (has( b)||! has(a ))", "!(has(b) || !has(a))")]
        [InlineData("a == 'b' && c == \"d\"", "(a == \"b\" && c == \"d\")")]
        [InlineData("a in {'z', \"x\", 'z'}", "a in {\"x\", \"z\"}")]
        [InlineData("a notin {'y'}", "a not in {\"y\"}")]
        [InlineData("a == '\"'", "a == '\"'")]
        [InlineData("label startswith 'v'", "label starts with \"v\"")]
        [InlineData("x endswith 'v' || has(y) || all()", "(x ends with \"v\" || has(y) || all())")]
        [InlineData("", "all()")]
        [InlineData("  global( )", "global()")]
        [InlineData("!!a == 'b'", "a == \"b\"")]
        public void Canonical_form(string text, string canonical)
        {
            Assert.Equal(canonical, Selector.Parse(text).ToString());
        }

        [Theory]
        [InlineData("a == 'b' &", 10, "'&'")]
        [InlineData("b contains b", 12, "expected a quoted string after 'contains'")]
        [InlineData("a == b", 6, "expected a quoted string after '=='")]
        [InlineData("a = 'b'", 3, "expected an operator")]
        [InlineData("has()", 5, "expected a label inside has()")]
        [InlineData("(a == 'b'", 10, "expected ')'")]
        [InlineData("a in {x}", 7, "expected a quoted string in the set")]
        [InlineData("a == 'b'\n", 9, "newline")]
        public void Parse_error_names_the_column(string text, int column, string fragment)
        {
            var ex = Assert.Throws<AlpException>(() => Selector.Parse(text));
            Assert.Equal("InvalidSelector", ex.ErrorId);
            Assert.Equal(AlpErrorKind.InvalidArgument, ex.Kind);
            Assert.Contains($"column {column}: ", ex.Message);
            Assert.Contains(fragment, ex.Message);
        }

        [Fact]
        public void Label_of_513_characters_is_rejected()
        {
            var ex = Assert.Throws<AlpException>(() => Selector.Parse(new string('a', 513) + " == 'x'"));
            Assert.Contains("column 1: label is longer than 512", ex.Message);
        }

        [Fact]
        public void Prefix_rewrite_maps_all_and_global()
        {
            var s = Selector.Parse("all() || global() || team == 'x'").WithPrefix("pcns.", "projectcalico.org/namespace");
            Assert.Equal("(has(projectcalico.org/namespace) || !has(projectcalico.org/namespace) || pcns.team == \"x\")", s.ToString());
            var labels = new Dictionary<string, string> { ["pcns.team"] = "x" };
            Assert.True(s.Matches(labels));
        }
    }
}
