using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using CalicoAlp.Core.Policy.Replay;
using CalicoAlp.Tests.Infrastructure;
using Xunit;

namespace CalicoAlp.Tests.Properties
{
    /// <summary>
    /// Every input the properties or the fuzzer found that broke a parser (tests/CalicoAlp.Fuzz/findings/&lt;target&gt;/,
    /// named after who found it), run through the same target again, and one test per finding that states the fixed
    /// behaviour. See docs/testing-properties-and-fuzzing.md.
    /// </summary>
    public class FindingRegressionTests
    {
        public static IEnumerable<object[]> Findings()
        {
            var root = Path.Combine(RepoPaths.Root, "tests", "CalicoAlp.Fuzz", "findings");
            return Directory.GetDirectories(root)
                .SelectMany(dir => Directory.GetFiles(dir).Select(f => new object[] { Path.GetFileName(dir), Path.GetFileName(f) }))
                .OrderBy(a => (string)a[0] + "/" + (string)a[1], System.StringComparer.Ordinal);
        }

        [Theory]
        [MemberData(nameof(Findings))]
        public void A_finding_is_now_answered_or_refused_clearly(string target, string file)
        {
            var bytes = File.ReadAllBytes(Path.Combine(RepoPaths.Root, "tests", "CalicoAlp.Fuzz", "findings", target, file));
            ParserTargets.Run(target, bytes);
        }

        [Theory]
        [InlineData("{\"%REQ(:METHOD)%\":\"\\ud800\"}")]
        [InlineData("{\"method\":\"GET\",\"path\":\"/a\\udc00b\"}")]
        [InlineData("{\"\\ud800\":\"x\",\"method\":\"GET\"}")]
        public void An_access_log_line_with_a_lone_surrogate_escape_is_one_refused_line(string line)
        {
            // Was InvalidOperationException out of Utf8JsonReader.GetString (found by the access-log property): the JSON
            // reader accepts the escape, but no .NET string can hold half a surrogate pair. The replay stopped.
            Assert.False(AccessLogParser.TryParse(Encoding.UTF8.GetBytes(line), new AccessLogEntry(), out var error));
            Assert.Contains("surrogate", error);
        }

        [Fact]
        public void An_access_log_line_with_invalid_UTF8_inside_a_JSON_string_is_one_refused_line()
        {
            // Was InvalidOperationException ("Cannot transcode invalid UTF-8 JSON text to UTF-16 string") out of
            // Utf8JsonReader.GetString (found by afl-fuzz, build.ps1 Fuzz -FuzzTarget access-log, in 12 s): the reader checks
            // a string's UTF-8 only when it is turned into a .NET string. The replay stopped at that line.
            var line = Encoding.UTF8.GetBytes("{\"method\":\"GET\",\"path\":\"/v1X\"}");
            line[Array.IndexOf(line, (byte)'X')] = 0xff;
            Assert.False(AccessLogParser.TryParse(line, new AccessLogEntry(), out var error));
            Assert.Contains("UTF-8", error);
        }
    }
}
