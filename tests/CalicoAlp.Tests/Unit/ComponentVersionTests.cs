using CalicoAlp.Core.Alp;
using Xunit;

namespace CalicoAlp.Tests.Unit
{
    public class ComponentVersionTests
    {
        [Theory]
        [InlineData("calico/node:v3.12.3", "v3.12.3")]
        [InlineData("docker.io/calico/node:v3.12.3@sha256:abcd", "v3.12.3")]
        [InlineData("localhost:5000/calico/node", null)]
        [InlineData("localhost:5000/calico/node:v3.23.1", "v3.23.1")]
        public void TagOf_takes_the_tag_after_the_last_path_segment(string image, string? tag)
        {
            Assert.Equal(tag, ComponentVersion.TagOf(image));
        }

        [Theory]
        [InlineData("v3.12.3", 3, 12, 3)]
        [InlineData("1.4", 1, 4, 0)]
        [InlineData("v3.23.0-0.dev", 3, 23, 0)]
        public void Parses_versions(string text, int major, int minor, int patch)
        {
            Assert.True(ComponentVersion.TryParse(text, out var v));
            Assert.Equal(new ComponentVersion(major, minor, patch), v);
        }

        [Theory]
        [InlineData("latest")]
        [InlineData("")]
        [InlineData(null)]
        public void Rejects_non_versions(string? text)
        {
            Assert.False(ComponentVersion.TryParse(text, out _));
        }

        [Fact]
        public void Orders_numerically()
        {
            Assert.True(ComponentVersion.Parse("3.9.0") < ComponentVersion.Parse("3.10.0"));
            Assert.True(ComponentVersion.Parse("1.4.2") < ComponentVersion.Parse("1.10.0"));
        }
    }
}
