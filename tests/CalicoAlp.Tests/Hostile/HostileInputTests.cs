using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.IO;
using CalicoAlp.Core.Policy.Loading;
using CalicoAlp.Core.Yaml;
using Xunit;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CalicoAlp.Tests.Hostile
{
    /// <summary>
    /// Hostile input (issue 13): every case ends in our error with its id and the file:line, before it costs unbounded
    /// memory or time. Without the limits the alias bombs expand to billions of nodes, the FIFO blocks for ever and
    /// /dev/zero grows until memory runs out (so those tests would hang or kill the test host, not pass).
    /// </summary>
    public sealed class HostileInputTests : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("calicoalp-hostile").FullName;

        public void Dispose() => Directory.Delete(_dir, true);

        private string Write(string name, string text)
        {
            var path = Path.Combine(_dir, name);
            File.WriteAllText(path, text);
            return path;
        }

        private const string Head = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: bomb\n  annotations:\n";

        /// <summary>Ten levels of ten aliases each: 10^10 nodes when expanded, 1 KB on disk.</summary>
        internal static string BillionLaughs()
        {
            var sb = new StringBuilder(Head);
            sb.Append("    a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n");
            for (int i = 1; i < 10; i++) sb.Append($"    a{i}: &a{i} [{string.Join(',', Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
            sb.Append("spec:\n  selector: all()\n");
            return sb.ToString();
        }

        private static AlpException Refused(Action load) => Assert.Throws<AlpException>(load);

        [Fact]
        public void A_billion_laughs_alias_bomb_is_refused_with_YamlExpansionTooLarge_and_the_line()
        {
            var file = Write("bomb.yaml", BillionLaughs());
            var ex = Refused(() => PolicyLoader.LoadPath(file));
            Assert.Equal(YamlLimitException.ExpansionErrorId, ex.ErrorId);
            Assert.Equal(AlpErrorKind.InvalidData, ex.Kind);
            Assert.Matches(@"bomb\.yaml:1[0-9]: field 'metadata\.annotations\.a[0-9]", ex.Message);
        }

        [Fact]
        public void An_alias_used_as_a_mapping_key_is_refused_as_YamlComplexKey()
        {
            var file = Write("keybomb.yaml", "a: &a [x,x,x]\nb: &b [*a,*a,*a]\nc:\n  ? *b\n  : 1\n");
            var ex = Refused(() => PolicyLoader.LoadPath(file));
            Assert.Equal(YamlLimitException.ComplexKeyErrorId, ex.ErrorId);
            Assert.Contains("keybomb.yaml:4", ex.Message);
        }

        [Fact]
        public void An_alias_inside_its_own_anchor_is_refused_as_YamlAliasCycle()
        {
            var file = Write("cycle.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: &m\n  name: x\n  labels: *m\n");
            Assert.Equal(YamlLimitException.AliasCycleErrorId, Refused(() => PolicyLoader.LoadPath(file)).ErrorId);
        }

        [Fact]
        public void More_documents_than_the_limit_are_refused_as_YamlTooManyDocuments()
        {
            var file = Write("docs.yaml", string.Concat(Enumerable.Repeat("---\n{}\n", InputLimits.MaxYamlDocuments + 1)));
            Assert.Equal(YamlLimitException.DocumentsErrorId, Refused(() => PolicyLoader.LoadPath(file)).ErrorId);
        }

        [Fact]
        public void Aliases_within_the_limit_still_load()
        {
            var file = Write("ok.yaml", "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: ok\n" +
                "spec:\n  selector: all()\n  ingress:\n  - &r {action: Allow, protocol: TCP, destination: {ports: [80]}}\n  - *r\n");
            Assert.Equal(2, PolicyLoader.LoadPath(file).Policies[0].Ingress.Count);
        }

        [Fact]
        public void The_shared_parser_bounds_every_reader_with_the_default_limits()
        {
            // The injector and kubeconfig readers use the two-argument constructor: the expansion bound applies to them too.
            var parser = new NestingLimitParser(new Parser(new StringReader(BillionLaughs())), InputLimits.DocumentNesting);
            var ex = Assert.Throws<YamlLimitException>(() => new YamlStream().Load(parser));
            Assert.Equal(YamlLimitException.ExpansionErrorId, ex.ErrorId);
        }

        [Fact]
        public void Loading_stops_when_cancelled()
        {
            var file = Write("many.yaml", string.Concat(Enumerable.Range(0, 2000).Select(i =>
                $"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns{i}\n")));
            using var cts = new CancellationTokenSource();
            cts.Cancel();
            Assert.ThrowsAny<OperationCanceledException>(() => PolicyLoader.LoadPath(file, cts.Token));
            Assert.Equal(2000, PolicyLoader.LoadPath(file).Namespaces.Count);
        }

        [Fact]
        public void A_FIFO_is_refused_before_it_is_opened()
        {
            if (OperatingSystem.IsWindows()) return;
            var fifo = Path.Combine(_dir, "x.yaml");
            using (var p = Process.Start("mkfifo", new[] { fifo })) p.WaitForExit();
            Assert.True(File.Exists(fifo));
            // Without the check, File.ReadAllText blocks here until a writer opens the FIFO: the test would hang.
            var ex = Refused(() => PolicyLoader.LoadPath(fifo));
            Assert.Equal(InputFile.NotRegularErrorId, ex.ErrorId);
            Assert.Contains("named pipe", ex.Message);
        }

        [Theory]
        [InlineData("/dev/zero", "character device")]
        [InlineData("/dev/urandom", "character device")]
        public void A_device_is_refused(string path, string what)
        {
            if (!File.Exists(path)) return;
            var ex = Refused(() => PolicyLoader.LoadPath(path));
            Assert.Equal(InputFile.NotRegularErrorId, ex.ErrorId);
            Assert.Contains(what, ex.Message);
        }

        [Fact]
        public void A_file_over_the_size_limit_is_refused_without_reading_it_whole()
        {
            var file = Path.Combine(_dir, "big.yaml");
            using (var f = new FileStream(file, FileMode.Create)) f.SetLength(InputLimits.MaxFileBytes + 1); // sparse
            var ex = Refused(() => PolicyLoader.LoadPath(file));
            Assert.Equal(InputFile.TooLargeErrorId, ex.ErrorId);
            Assert.Contains(InputLimits.MaxFileMegabytesVariable, ex.RecommendedAction);
        }

        [Fact]
        public void Invalid_UTF8_is_refused_with_its_line()
        {
            var file = Path.Combine(_dir, "latin1.yaml");
            File.WriteAllBytes(file, Encoding.UTF8.GetBytes("apiVersion: v1\nkind: Namespace\n# caf").Concat(new byte[] { 0xE9 })
                .Concat(Encoding.UTF8.GetBytes("\nmetadata: {name: x}\n")).ToArray());
            var ex = Refused(() => PolicyLoader.LoadPath(file));
            Assert.Equal(InputFile.NotUtf8ErrorId, ex.ErrorId);
            Assert.Contains("latin1.yaml:3", ex.Message);
            Assert.Contains("0xE9", ex.Message);
        }

        [Fact]
        public void UTF16_with_a_BOM_and_UTF8_with_a_BOM_are_read()
        {
            const string text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: café}\n";
            var u16 = Path.Combine(_dir, "u16.yaml");
            File.WriteAllText(u16, text, new UnicodeEncoding(false, true));
            var u8 = Path.Combine(_dir, "u8.yaml");
            File.WriteAllText(u8, text, new UTF8Encoding(true));
            Assert.Equal("café", PolicyLoader.LoadPath(u16).Namespaces[0].Name);
            Assert.Equal("café", PolicyLoader.LoadPath(u8).Namespaces[0].Name);
        }

        [Fact]
        public void An_empty_file_warns_and_is_not_an_error()
        {
            var file = Write("empty.yaml", "# nothing here\n");
            var warnings = new List<string>();
            var set = PolicyLoader.LoadPath(file, default, warnings.Add);
            Assert.Empty(set.Policies);
            Assert.Single(warnings);
            Assert.Contains("empty.yaml: the file holds no objects", warnings[0]);
        }

        [Fact]
        public void A_long_access_log_line_is_one_bad_line_and_the_next_line_is_read()
        {
            var file = Path.Combine(_dir, "access.log");
            using (var f = new StreamWriter(file))
            {
                f.Write(new string('x', InputLimits.MaxAccessLogLineBytes * 3));
                f.Write("\nnot a log line either\n");
            }
            var errors = new List<(long Line, string Message)>();
            var engine = Core.Policy.Evaluation.PolicyEngine.Compile(Core.Policy.Model.PolicySet.Empty, Core.Policy.Evaluation.CalicoBehavior.Parse(null));
            var replayer = new Core.Policy.Replay.AccessLogReplayer(engine, new Core.Policy.Requests.AlpRequestBuilder(engine, _ => { })
                .ReplayOptions(new Core.Policy.Requests.RequestFields()));
            var summary = replayer.Replay(new[] { file }, new Sink(errors), CancellationToken.None);
            Assert.Equal(2, summary.Lines);
            Assert.Equal(1, errors[0].Line);
            Assert.Contains("longer than", errors[0].Message);
            Assert.Equal(2, errors[1].Line);
        }

        [Fact]
        public void An_access_log_that_is_a_device_is_refused_before_the_replay()
        {
            if (!File.Exists("/dev/zero")) return;
            var ex = Refused(() => Core.Policy.Replay.AccessLogReplayer.ExpandFiles(new[] { "/dev/zero" }));
            Assert.Equal(InputFile.NotRegularErrorId, ex.ErrorId);
        }

        private sealed class Sink : Core.Policy.Replay.IReplaySink
        {
            private readonly List<(long, string)> _errors;
            public Sink(List<(long, string)> errors) => _errors = errors;
            public void Decision(string file, long line, Core.Policy.Evaluation.AlpRequest request, Core.Policy.Evaluation.PolicyDecision decision) { }
            public void Error(string file, long line, string message) => _errors.Add((line, message));
            public void Progress(long lines, int percent, string file) { }
        }
    }
}
