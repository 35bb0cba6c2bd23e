using System.Linq;
using System.Text.Json.Nodes;
using CalicoAlp.Core.Json;
using Xunit;

namespace CalicoAlp.Tests.Unit
{
    public class JsonDiffTests
    {
        [Fact]
        public void Reports_leaf_changes_with_dotted_paths()
        {
            var before = JsonNode.Parse("{\"a\":{\"b\":1,\"c\":[1,2]},\"d\":\"x\"}");
            var after = JsonNode.Parse("{\"a\":{\"b\":2,\"c\":[1,2]},\"e\":true}");
            var changes = JsonDiff.Compare(before, after, "spec");
            Assert.Equal(new[] { "spec.a.b: 1 -> 2", "spec.d: \"x\" -> <removed>", "spec.e: <absent> -> true" }, changes.Select(c => c.ToString()));
        }

        [Fact]
        public void Equal_documents_have_no_changes()
        {
            Assert.Empty(JsonDiff.Compare(JsonNode.Parse("{\"a\":[1,{\"b\":null}]}"), JsonNode.Parse("{\"a\":[1,{\"b\":null}]}"), ""));
        }

        [Fact]
        public void Arrays_are_compared_as_wholes()
        {
            var c = Assert.Single(JsonDiff.Compare(JsonNode.Parse("{\"h\":[\"a\"]}"), JsonNode.Parse("{\"h\":[\"a\",\"b\"]}"), "spec"));
            Assert.Equal("spec.h", c.Path);
            Assert.Equal("[\"a\",\"b\"]", c.After);
        }
    }
}
