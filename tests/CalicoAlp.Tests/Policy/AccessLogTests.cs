using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Net;
using System.Text;
using System.Threading;
using CalicoAlp.Cmdlets;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Loading;
using CalicoAlp.Core.Policy.Replay;
using CalicoAlp.Tests.Infrastructure;
using Xunit;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Tests.Policy
{
    public sealed class AccessLogTests : IDisposable
    {
        /// <summary>The replay policy set, shared with the cmdlet benchmarks (tools/replay-policy.yaml).</summary>
        private static readonly string PolicyYaml = File.ReadAllText(Path.Combine(RepoPaths.Root, "tools", "replay-policy.yaml"));

        private static readonly string[] Methods = ["GET", "GET", "POST", "DELETE"];
        private static readonly string[] Paths = ["/v1/items", "/v1/items?x=1", "/admin/config", "/v2/orders", "/healthz"];
        private static readonly string[] Principals =
            ["spiffe://cluster.local/ns/web/sa/frontend", "spiffe://cluster.local/ns/web/sa/batch", "not-a-spiffe-id", ""];

        private readonly string _dir;
        private readonly string _policy;

        public AccessLogTests()
        {
            _dir = Path.Combine(Path.GetTempPath(), "calicoalp-accesslog-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_dir);
            _policy = Path.Combine(_dir, "policy");
            Directory.CreateDirectory(_policy);
            File.WriteAllText(Path.Combine(_policy, "policy.yaml"), PolicyYaml);
        }

        public void Dispose() => Directory.Delete(_dir, true);

        private sealed record Line(string Method, string Path, string SrcIp, int SrcPort, int DstPort, string Principal);

        private static List<Line> Generate(int seed, int count)
        {
            var rng = new Random(seed);
            var lines = new List<Line>();
            for (int i = 0; i < count; i++)
            {
                lines.Add(new Line(Methods[rng.Next(Methods.Length)], Paths[rng.Next(Paths.Length)],
                    $"10.1.{rng.Next(2)}.{rng.Next(1, 8)}", rng.Next(32768, 61000), rng.Next(2) == 0 ? 8080 : 9090,
                    Principals[rng.Next(Principals.Length)]));
            }
            return lines;
        }

        private static string Json(Line l, int i) =>
            "{\"start_time\":\"2026-11-26T00:00:00.000Z\",\"method\":\"" + l.Method + "\",\"path\":\"" + l.Path +
            "\",\"protocol\":\"HTTP/1.1\",\"response_code\":200,\"response_flags\":\"-\",\"bytes_received\":0,\"upstream_host\":\"127.0.0.1:8080\"," +
            "\"nested\":{\"a\":[1,2]},\"authority\":\"api\",\"request_id\":\"" + i + "\",\"downstream_local_address\":\"10.2.0.7:" + l.DstPort +
            "\",\"downstream_remote_address\":\"" + l.SrcIp + ":" + l.SrcPort + "\"" +
            (l.Principal.Length > 0 ? ",\"downstream_peer_uri_san\":\"" + l.Principal + "\"" : "") + "}";

        /// <summary>Istio 1.4 JSON: keys named after the Envoy commands; principal through x-forwarded-client-cert.</summary>
        private static string IstioJson(Line l) =>
            "{\"%START_TIME%\":\"2026-11-26T00:00:00.000Z\",\"%REQ(:METHOD)%\":\"" + l.Method + "\",\"%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%\":\"" + l.Path +
            "\",\"%PROTOCOL%\":\"HTTP/1.1\",\"%RESPONSE_CODE%\":\"200\",\"%UPSTREAM_HOST%\":\"127.0.0.1:8080\"," +
            "\"%DOWNSTREAM_LOCAL_ADDRESS%\":\"10.2.0.7:" + l.DstPort + "\",\"%DOWNSTREAM_REMOTE_ADDRESS%\":\"" + l.SrcIp + ":" + l.SrcPort + "\"" +
            (l.Principal.Length > 0 ? ",\"%REQ(X-FORWARDED-CLIENT-CERT)%\":\"By=spiffe://cluster.local/ns/web/sa/api;Hash=ab;Subject=\\\"\\\";URI=" + l.Principal + "\"" : "") + "}";

        private static string Text(Line l, int i) =>
            $"[2026-11-26T00:00:00.000Z] \"{l.Method} {l.Path} HTTP/1.1\" 200 - 0 12 1 1 \"-\" \"curl/8.0 (x y)\" \"{i}\" \"api.web:8080\" \"127.0.0.1:8080\" " +
            $"inbound|8080||api.web.svc.cluster.local 127.0.0.1:41000 10.2.0.7:{l.DstPort} {l.SrcIp}:{l.SrcPort} outbound_.8080_._.api.web.svc.cluster.local default";

        private static readonly WorkloadInfo Api = new("web", "api", new Dictionary<string, string> { ["app"] = "api" });

        private PolicyEngine Engine() => PolicyEngine.Compile(PolicyLoader.LoadPath(_policy));

        /// <summary>The request built by hand, the way the brief maps a log line.</summary>
        private static AlpRequest ByHand(Line l, bool withPrincipal, PolicyEngine engine)
        {
            var src = IPAddress.Parse(l.SrcIp);
            var pod = engine.PolicySet.Pods.FirstOrDefault(p => p.IPs.Contains(l.SrcIp));
            return new AlpRequest
            {
                SourcePrincipal = withPrincipal ? l.Principal : "",
                SourceIP = src,
                SourcePort = l.SrcPort,
                SourceWorkload = pod == null ? null : new WorkloadInfo(pod.Namespace, pod.ServiceAccount, pod.Labels) { NamedPorts = pod.NamedPorts },
                DestinationIP = IPAddress.Parse("10.2.0.7"),
                DestinationPort = l.DstPort,
                DestinationWorkload = Api,
                Method = l.Method,
                Path = l.Path,
            };
        }

        private sealed class CollectingSink : IReplaySink
        {
            public List<(string File, long Line, AlpRequest Request, PolicyDecision Decision)> Decisions { get; } = new();
            public List<(string File, long Line, string Message)> Errors { get; } = new();
            public int ProgressCalls { get; private set; }
            public void Decision(string file, long line, AlpRequest request, PolicyDecision decision) => Decisions.Add((file, line, request, decision));
            public void Error(string file, long line, string message) => Errors.Add((file, line, message));
            public void Progress(long lines, int percent, string file) => ProgressCalls++;
        }

        private ReplaySummary Replay(PolicyEngine engine, CollectingSink sink, params string[] paths) =>
            new AccessLogReplayer(engine, new ReplayOptions { Destination = Api, ProgressInterval = 10 })
                .Replay(AccessLogReplayer.ExpandFiles(paths), sink, CancellationToken.None);

        [Theory]
        [InlineData("json", 11)]
        [InlineData("istio-json", 12)]
        [InlineData("text", 13)]
        public void Every_replayed_decision_equals_Evaluate_on_the_same_request_built_by_hand(string format, int seed)
        {
            var lines = Generate(seed, 200);
            var file = Path.Combine(_dir, "access." + format + ".log");
            File.WriteAllLines(file, lines.Select((l, i) => format switch
            {
                "json" => Json(l, i),
                "istio-json" => IstioJson(l),
                _ => Text(l, i),
            }));
            var engine = Engine();
            var sink = new CollectingSink();
            var summary = Replay(engine, sink, file);

            Assert.Equal(1, summary.Files);
            Assert.Equal(200, summary.Lines);
            Assert.Equal(200, summary.Parsed);
            Assert.Equal(0, summary.Errors);
            Assert.Empty(sink.Errors);
            Assert.Equal(200, sink.Decisions.Count);
            Assert.True(sink.ProgressCalls >= 19);
            bool principals = format != "text"; // the default text format carries no peer certificate
            for (int i = 0; i < lines.Count; i++)
            {
                var (f, lineNo, request, decision) = sink.Decisions[i];
                Assert.Equal(file, f);
                Assert.Equal(i + 1, lineNo);
                var expected = engine.Evaluate(ByHand(lines[i], principals, engine));
                Assert.Equal(expected.ToString(), decision.ToString());
                Assert.Equal(lines[i].Method, request.Method);
                Assert.Equal(lines[i].Path, request.Path);
            }
            Assert.Equal(sink.Decisions.Count(d => d.Decision.Verdict == Verdict.Allow), summary.Allowed);
            Assert.Equal(sink.Decisions.Count(d => d.Decision.Verdict == Verdict.Deny), summary.Denied);
            Assert.True(summary.Allowed > 0 && summary.Denied > 0);
            Assert.Equal(200, summary.ByPolicy.Values.Sum());
            Assert.Equal(200, summary.BySource.Values.Sum(c => c.Allowed + c.Denied));
            Assert.Contains("web/api", summary.ByPolicy.Keys);
        }

        [Fact]
        public void A_bad_line_is_an_error_naming_file_and_line_and_never_a_decision()
        {
            var lines = Generate(5, 6);
            var file = Path.Combine(_dir, "bad.log");
            File.WriteAllText(file, string.Join("\n",
                Json(lines[0], 0),
                "{\"method\":\"GET\",\"path\":",                       // 2: truncated JSON
                "",                                                   // 3: blank, ignored
                Text(lines[1], 1),
                "garbage here",                                        // 5
                "[2026-11-26T00:00:00Z] \"GET\" 200",                   // 6: no path/protocol
                "{\"method\":\"G T\",\"path\":\"/v1\"}",                  // 7: not an HTTP method (engine rejects)
                Json(lines[2], 2)) + "\r\n");
            var sink = new CollectingSink();
            var summary = Replay(Engine(), sink, file);
            Assert.Equal(7, summary.Lines);
            Assert.Equal(3, summary.Parsed);
            Assert.Equal(4, summary.Errors);
            Assert.Equal(new long[] { 2, 5, 6, 7 }, sink.Errors.Select(e => e.Line).ToArray());
            Assert.All(sink.Errors, e => Assert.Equal(file, e.File));
            Assert.Equal(new long[] { 1, 4, 8 }, sink.Decisions.Select(d => d.Line).ToArray());
        }

        [Fact]
        public void A_folder_of_logs_is_replayed_file_by_file()
        {
            var logs = Path.Combine(_dir, "logs");
            Directory.CreateDirectory(logs);
            File.WriteAllLines(Path.Combine(logs, "a.json"), Generate(1, 30).Select(Json));
            File.WriteAllLines(Path.Combine(logs, "b.txt"), Generate(2, 20).Select(Text));
            var sink = new CollectingSink();
            var summary = Replay(Engine(), sink, logs);
            Assert.Equal(2, summary.Files);
            Assert.Equal(50, summary.Lines);
            Assert.Equal(50, summary.Parsed);
            Assert.Equal(30, sink.Decisions.Count(d => d.File.EndsWith("a.json", StringComparison.Ordinal)));
        }

        [Fact]
        public void Replay_stops_when_cancelled()
        {
            var file = Path.Combine(_dir, "big.json");
            File.WriteAllLines(file, Generate(3, 100).Select(Json));
            using var cts = new CancellationTokenSource();
            cts.Cancel();
            var replayer = new AccessLogReplayer(Engine(), new ReplayOptions { Destination = Api, ProgressInterval = 10 });
            Assert.Throws<OperationCanceledException>(() => replayer.Replay([file], new CollectingSink(), cts.Token));
        }

        [Theory]
        [InlineData("10.1.0.5:4000", "10.1.0.5", 4000)]
        [InlineData("[fd00::1]:443", "fd00::1", 443)]
        [InlineData("10.1.0.5", "10.1.0.5", -1)]
        public void Addresses_split_into_ip_and_port(string text, string ip, int port)
        {
            Assert.True(AccessLogEntry.TrySplitAddress(text, out var a, out var p));
            Assert.Equal(IPAddress.Parse(ip), a);
            Assert.Equal(port, p);
        }

        [Fact]
        public void Json_comments_are_skipped_and_repeated_values_are_read_like_new_ones()
        {
            var entry = new AccessLogEntry();
            const string plain = "{\"method\":\"GET\",\"path\":\"/v1/items\",\"downstream_remote_address\":\"10.1.0.5:4000\",\"downstream_local_address\":\"10.2.0.7:8080\",\"downstream_peer_uri_san\":\"spiffe://cluster.local/ns/web/sa/frontend\"}";
            const string commented = "{/* a */\"method\":\"GET\",\"path\":/* b */\"/v1/items\",\"downstream_remote_address\":\"10.1.0.5:4000\",\"downstream_local_address\":\"10.2.0.7:8080\",\"downstream_peer_uri_san\":\"spiffe://cluster.local/ns/web/sa/frontend\"/* c */}";
            // Alternating lines: the recently-decoded-value cache must give each line its own values.
            const string other = "{\"method\":\"POST\",\"path\":\"/v2/orders\",\"downstream_remote_address\":\"10.1.0.6:4001\",\"downstream_local_address\":\"10.2.0.8:9090\"}";
            foreach (var line in new[] { plain, other, commented, other, plain })
            {
                Assert.True(AccessLogParser.TryParse(Encoding.UTF8.GetBytes(line), entry, out var error), error);
                bool first = line != other;
                Assert.Equal(first ? "GET" : "POST", entry.Method);
                Assert.Equal(first ? "/v1/items" : "/v2/orders", entry.Path);
                Assert.Equal(first ? "10.1.0.5:4000" : "10.1.0.6:4001", entry.DownstreamRemoteAddress);
                Assert.Equal(first ? "10.2.0.7:8080" : "10.2.0.8:9090", entry.DownstreamLocalAddress);
                Assert.Equal(first ? "spiffe://cluster.local/ns/web/sa/frontend" : null, entry.PeerPrincipal);
            }
            Assert.False(AccessLogParser.TryParse(Encoding.UTF8.GetBytes("{\"method\":\"GET\",}"), entry, out var bad));
            Assert.StartsWith("invalid JSON: ", bad, StringComparison.Ordinal);
        }

        // ------------------------------------------------------------------ the cmdlet

        private static PowerShell Host()
        {
            var iss = InitialSessionState.CreateDefault2();
            iss.Commands.Add(new SessionStateCmdletEntry("Test-AlpRequest", typeof(TestAlpRequestCommand), null));
            return PowerShell.Create(iss);
        }

        [Fact]
        public void Cmdlet_writes_the_summary_then_the_denied_requests_with_file_and_line()
        {
            var lines = Generate(21, 40);
            File.WriteAllLines(Path.Combine(_dir, "x1.json"), lines.Take(20).Select(Json).Append("not a log line"));
            File.WriteAllLines(Path.Combine(_dir, "x2.log"), lines.Skip(20).Select(Text));
            using var ps = Host();
            ps.AddCommand("Test-AlpRequest")
                .AddParameter("PolicyPath", _policy)
                .AddParameter("AccessLogPath", Path.Combine(_dir, "x*"))
                .AddParameter("DestinationNamespace", "web")
                .AddParameter("DestinationServiceAccount", "api")
                .AddParameter("DestinationLabels", new Hashtable { ["app"] = "api" });
            var output = ps.Invoke();
            var summary = Assert.IsType<ReplaySummary>(output[0].BaseObject);
            Assert.Equal(2, summary.Files);
            Assert.Equal(41, summary.Lines);
            Assert.Equal(40, summary.Parsed);
            Assert.Equal(1, summary.Errors);
            var error = Assert.Single(ps.Streams.Error);
            Assert.Equal("AccessLogLineInvalid,CalicoAlp.Cmdlets.TestAlpRequestCommand", error.FullyQualifiedErrorId);
            Assert.Contains("x1.json:21", error.Exception.Message);
            Assert.Equal(summary.Denied, output.Count - 1);

            var engine = Engine();
            foreach (var o in output.Skip(1))
            {
                var d = Assert.IsType<RequestDecision>(o.BaseObject);
                Assert.Equal(Verdict.Deny, d.Decision);
                var file = (string)o.Properties["LogFile"].Value;
                var lineNo = (long)o.Properties["LogLine"].Value;
                var json = file.EndsWith("x1.json", StringComparison.Ordinal);
                var line = lines[(int)lineNo - 1 + (json ? 0 : 20)];
                Assert.Equal(Verdict.Deny, engine.Evaluate(ByHand(line, json, engine)).Verdict);
            }
        }

        [Fact]
        public void Cmdlet_SummaryOnly_writes_only_the_summary_and_text_logs_use_SourcePrincipal()
        {
            var lines = Generate(22, 25).Select(l => l with { Method = "GET", Path = "/v1/items", DstPort = 9090, SrcIp = "10.1.0.5" }).ToList();
            var file = Path.Combine(_dir, "t.log");
            File.WriteAllLines(file, lines.Select(Text));
            using var ps = Host();
            ps.AddCommand("Test-AlpRequest")
                .AddParameter("PolicyPath", _policy)
                .AddParameter("AccessLogPath", file)
                .AddParameter("SourcePrincipal", "spiffe://cluster.local/ns/web/sa/frontend")
                .AddParameter("DestinationNamespace", "web")
                .AddParameter("DestinationServiceAccount", "api")
                .AddParameter("DestinationLabels", new Hashtable { ["app"] = "api" })
                .AddParameter("SummaryOnly");
            var output = ps.Invoke();
            var summary = Assert.IsType<ReplaySummary>(Assert.Single(output).BaseObject);
            Assert.Equal(25, summary.Allowed);
            Assert.Equal(25, summary.ByPolicy["web/api"]);
            Assert.Equal(25, summary.BySource["spiffe://cluster.local/ns/web/sa/frontend"].Allowed);
            Assert.Empty(ps.Streams.Error);
        }

        [Fact]
        public void Cmdlet_single_request_mode_is_unchanged_by_the_new_parameter_set()
        {
            using var ps = Host();
            ps.AddCommand("Test-AlpRequest").AddParameter("PolicyPath", _policy).AddParameter("DestinationNamespace", "web")
                .AddParameter("Method", "GET").AddParameter("Path", "/v1");
            var d = Assert.IsType<RequestDecision>(Assert.Single(ps.Invoke()).BaseObject);
            Assert.Equal(Verdict.Allow, d.Decision);
        }
    }
}
