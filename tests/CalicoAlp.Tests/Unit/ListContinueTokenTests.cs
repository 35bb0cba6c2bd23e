using System.Text;
using CalicoAlp.Core.Kube;
using Xunit;

namespace CalicoAlp.Tests.Unit
{
    /// <summary>KubeApi reads a list page's continue token before its items, to ask for the next page while it parses this one.</summary>
    public class ListContinueTokenTests
    {
        private static string? Token(string json) => KubeApi.ContinueToken(Encoding.UTF8.GetBytes(json));

        [Theory]
        [InlineData("""{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7","continue":"abc=="},"items":[{"metadata":{"continue":"no"}}]}""", "abc==")]
        [InlineData("""{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[]}""", null)]
        [InlineData("""{"metadata":{"continue":""},"items":[]}""", null)]
        [InlineData("""{"items":[{"metadata":{"continue":"inside an item"}}],"metadata":{"continue":"after the items"}}""", "after the items")]
        [InlineData("""{"metadata":{"remainingItemCount":3,"selfLink":"/x","continue":"t"}}""", "t")]
        [InlineData("""{"metadata":{"continue":7}}""", null)]
        [InlineData("""{"metadata":"not an object","continue":"top level"}""", null)]
        [InlineData("""[1,2]""", null)]
        [InlineData("""{"metadata":{"continue":"unterminated""", null)]
        [InlineData("", null)]
        public void Reads_only_the_lists_own_continue_token(string json, string? expected) => Assert.Equal(expected, Token(json));
    }
}
