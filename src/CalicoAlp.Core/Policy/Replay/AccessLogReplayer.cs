using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Threading;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Requests;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Policy.Replay
{
    /// <summary>Receives the replay's results as they happen (called on the replaying thread).</summary>
    public interface IReplaySink
    {
        /// <summary>One evaluated line (every parsed line, allowed or denied).</summary>
        void Decision(string file, long line, AlpRequest request, PolicyDecision decision);
        /// <summary>A line that could not be parsed or evaluated.</summary>
        void Error(string file, long line, string message);
        /// <summary>Progress: lines so far and the percentage of bytes read over all files.</summary>
        void Progress(long lines, int percent, string file);
    }

    /// <summary>How log lines become requests (the log is the destination pod's inbound sidecar log).</summary>
    public sealed class ReplayOptions
    {
        /// <summary>The destination workload (the pod whose log this is). Null: found per line from a Pod owning the
        /// downstream local IP, else the namespace/service account <c>default</c>.</summary>
        public WorkloadInfo? Destination { get; init; }
        /// <summary>Destination IP; null = from downstream_local_address.</summary>
        public IPAddress? DestinationIP { get; init; }
        /// <summary>Destination port used when the line has no downstream_local_address.</summary>
        public int DefaultDestinationPort { get; init; } = 80;
        public IReadOnlyList<string>? DestinationProfiles { get; init; }
        /// <summary>Principal used when the line has no peer URI SAN; null/empty = plaintext.</summary>
        public string? SourcePrincipal { get; init; }
        /// <summary>Source IP used when the line has no downstream_remote_address (nor X-Forwarded-For).</summary>
        public IPAddress? SourceIP { get; init; }
        /// <summary>Progress every this many lines.</summary>
        public int ProgressInterval { get; init; } = 50_000;
    }

    /// <summary>Streams Envoy access logs through a compiled <see cref="PolicyEngine"/>.</summary>
    public sealed class AccessLogReplayer
    {
        private readonly PolicyEngine _engine;
        private readonly ReplayOptions _options;
        private readonly Dictionary<IPAddress, IPAddress> _addresses = new();
        private readonly AccessLogEntry _entry = new();
        private readonly AlpRequestBuilder _builder;
        /// <summary>The fields of the current line (one instance reused line after line: the replay is sequential).</summary>
        private readonly RequestFields _fields;

        /// <param name="options">The fixed part of the requests (<see cref="AlpRequestBuilder.ReplayOptions"/>).</param>
        public AccessLogReplayer(PolicyEngine engine, ReplayOptions options)
        {
            _engine = engine;
            _options = options;
            _builder = new AlpRequestBuilder(engine);
            _fields = new RequestFields
            {
                DestinationWorkload = options.Destination,
                DestinationProfiles = options.DestinationProfiles,
                Protocol = IpProtocol.Tcp,
                Direction = TrafficDirection.Ingress,
            };
        }

        /// <summary>
        /// One IPAddress instance per distinct address: a log has few distinct client and pod addresses, and the requests
        /// kept for output (denied lines) then share them instead of each holding its own copy.
        /// </summary>
        private IPAddress Shared(IPAddress ip)
        {
            if (_addresses.TryGetValue(ip, out var shared)) return shared;
            if (_addresses.Count < 65_536) _addresses[ip] = ip;
            return ip;
        }

        /// <summary>
        /// Files, folders (every file below, sorted) in the order given. Each must be a regular file: a FIFO or a device
        /// (/dev/zero, /dev/urandom) is refused here, before anything is read (InputNotRegularFile).
        /// </summary>
        public static List<string> ExpandFiles(IEnumerable<string> paths)
        {
            var files = new List<string>();
            foreach (var p in paths)
            {
                if (Directory.Exists(p))
                {
                    var inDir = new List<string>(Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories));
                    inDir.Sort(StringComparer.Ordinal);
                    files.AddRange(inDir);
                }
                else
                {
                    files.Add(p);
                }
            }
            foreach (var f in files) IO.InputFile.RequireRegular(f, "access log");
            return files;
        }

        /// <summary>Builds the request a parsed line stands for.</summary>
        public AlpRequest BuildRequest(AccessLogEntry e)
        {
            IPAddress? srcIp = null;
            int srcPort = 0;
            if (!AccessLogEntry.TrySplitAddress(e.DownstreamRemoteAddress, out srcIp, out srcPort))
            {
                srcIp = null;
                srcPort = 0;
                if (e.ForwardedFor != null)
                {
                    var first = e.ForwardedFor;
                    int comma = first.IndexOf(',');
                    if (comma >= 0) first = first.Substring(0, comma);
                    if (!AccessLogEntry.TrySplitAddress(first.Trim(), out srcIp, out _)) srcIp = null;
                }
                srcIp ??= _options.SourceIP;
            }
            if (srcPort < 0) srcPort = 0;
            if (srcIp != null) srcIp = Shared(srcIp);
            IPAddress? dstIp = _options.DestinationIP;
            int dstPort = _options.DefaultDestinationPort;
            if (AccessLogEntry.TrySplitAddress(e.DownstreamLocalAddress, out var localIp, out var localPort))
            {
                dstIp ??= Shared(localIp!);
                if (localPort >= 0) dstPort = localPort;
            }
            // A log line states its principal: the peer certificate's URI SAN, else -SourcePrincipal, else plaintext.
            var f = _fields;
            f.SourcePrincipal = e.PeerPrincipal ?? _options.SourcePrincipal ?? "";
            f.SourceIP = srcIp;
            f.SourcePort = srcPort;
            f.DestinationIP = dstIp;
            f.DestinationPort = dstPort;
            f.Method = e.Method;
            f.Path = e.Path;
            return _builder.Build(f);
        }

        /// <summary>Replays every file; throws <see cref="OperationCanceledException"/> when cancelled.</summary>
        public ReplaySummary Replay(IReadOnlyList<string> files, IReplaySink sink, CancellationToken cancellationToken)
        {
            var summary = new ReplaySummary();
            var watch = System.Diagnostics.Stopwatch.StartNew();
            long totalBytes = 0;
            foreach (var f in files)
            {
                try { totalBytes += new FileInfo(f).Length; } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
            long doneBytes = 0;
            int interval = Math.Max(1, _options.ProgressInterval);
            byte[] buffer = new byte[1 << 20];
            foreach (var file in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                summary.Files++;
                summary.FileNames.Add(file);
                FileStream stream;
                try
                {
                    stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
                }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                {
                    summary.Errors++;
                    sink.Error(file, 0, ex.Message);
                    continue;
                }
                using (stream)
                {
                    long lineNo = 0;
                    int start = 0, end = 0;
                    bool eof = false;
                    bool skipping = false; // inside a line longer than the limit: drop bytes up to its end
                    while (true)
                    {
                        int nl = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
                        if (skipping)
                        {
                            if (nl < 0)
                            {
                                start = end = 0;
                                if (eof) break;
                                cancellationToken.ThrowIfCancellationRequested();
                                int r = stream.Read(buffer, 0, buffer.Length);
                                if (r == 0) eof = true;
                                end = r;
                                doneBytes += r;
                                continue;
                            }
                            start += nl + 1;
                            skipping = false;
                            continue;
                        }
                        if (nl < 0 && !eof && end - start >= Diagnostics.InputLimits.MaxAccessLogLineBytes)
                        {
                            // An endless line (a binary file, /dev/zero copied to a file): reported once, never held whole.
                            summary.Lines++;
                            summary.Errors++;
                            sink.Error(file, ++lineNo, $"line longer than {Diagnostics.InputLimits.MaxAccessLogLineBytes / 1024} KiB (not an access log line); skipped");
                            skipping = true;
                            start = end = 0;
                            continue;
                        }
                        if (nl < 0)
                        {
                            if (eof)
                            {
                                if (end > start) ProcessLine(buffer.AsSpan(start, end - start), file, ++lineNo, summary, sink);
                                break;
                            }
                            // Move the partial line to the front (grow for very long lines) and read more.
                            if (start > 0)
                            {
                                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                                end -= start;
                                start = 0;
                            }
                            if (end == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                            int read = stream.Read(buffer, end, buffer.Length - end);
                            if (read == 0) eof = true;
                            end += read;
                            doneBytes += read;
                            continue;
                        }
                        ProcessLine(buffer.AsSpan(start, nl), file, ++lineNo, summary, sink);
                        start += nl + 1;
                        if (lineNo % interval == 0)
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                            long buffered = end - start;
                            int percent = totalBytes > 0 ? (int)((doneBytes - buffered) * 100 / totalBytes) : 0;
                            sink.Progress(summary.Lines, percent, file);
                        }
                    }
                }
            }
            summary.RuleHits = summary.RuleCounter.ToList();
            summary.UnusedRules = summary.RuleCounter.Unused(_engine);
            summary.Elapsed = watch.Elapsed;
            return summary;
        }

        private void ProcessLine(ReadOnlySpan<byte> line, string file, long lineNo, ReplaySummary summary, IReplaySink sink)
        {
            // Blank lines (and a trailing \r of CRLF files) are not counted.
            int k = 0;
            while (k < line.Length && (line[k] == (byte)' ' || line[k] == (byte)'\t' || line[k] == (byte)'\r')) k++;
            if (k == line.Length) return;
            summary.Lines++;
            if (!AccessLogParser.TryParse(line, _entry, out var error))
            {
                summary.Errors++;
                sink.Error(file, lineNo, error!);
                return;
            }
            AlpRequest request;
            PolicyDecision decision;
            try
            {
                request = BuildRequest(_entry);
                decision = _engine.Evaluate(request);
            }
            catch (Diagnostics.AlpException ex)
            {
                summary.Errors++;
                sink.Error(file, lineNo, ex.Message);
                return;
            }
            summary.Parsed++;
            bool allowed = decision.Verdict == Verdict.Allow;
            if (allowed) summary.Allowed++; else summary.Denied++;
            summary.RuleCounter.Count(decision, request.Direction);
            var by = decision.Policy ?? (decision.Profile != null ? "profile " + decision.Profile : decision.Reason.ToString());
            summary.ByPolicy.TryGetValue(by, out var c);
            summary.ByPolicy[by] = c + 1;
            var srcKey = request.SourcePrincipal.Length > 0 ? request.SourcePrincipal : request.SourceIP?.ToString() ?? "-";
            if (!summary.BySource.TryGetValue(srcKey, out var counts)) summary.BySource[srcKey] = counts = new ReplayCount();
            if (allowed) counts.Allowed++; else counts.Denied++;
            sink.Decision(file, lineNo, request, decision);
        }
    }
}
