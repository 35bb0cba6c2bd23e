using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Replay;
using CalicoAlp.Core.Policy.Requests;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Cmdlets
{
    public sealed partial class TestAlpRequestCommand
    {
        /// <summary>-AccessLogPath: replays the logs in Core and writes the summary, then the denied requests.</summary>
        private void ReplayAccessLogs()
        {
            PolicyEngine engine;
            AccessLogReplayer replayer;
            List<string> files;
            try
            {
                if (PolicyPath.Length == 0)
                {
                    throw new AlpException("PolicyPathRequired", AlpErrorKind.InvalidArgument,
                        "-AccessLogPath replays logs against policy files: give -PolicyPath (files or folders).", "PolicyPath");
                }
                var p = RequestParameters.FromCommand(this, MyInvocation.BoundParameters.Keys);
                var paths = p.PolicyPath;
                engine = Engines.ForFiles(SessionState.Path.CurrentLocation.Path + "\u0001" + string.Join("\u0001", paths), () => ResolvePaths(paths), Engines.Behavior(p.CalicoVersion),
                    CancellationToken, WriteWarning);
                replayer = new AccessLogReplayer(engine, new AlpRequestBuilder(engine, WriteWarning).ReplayOptions(p.ToFields()));
                files = AccessLogReplayer.ExpandFiles(ResolveLogPaths());
            }
            catch (AlpException ex)
            {
                Terminate(ex);
                return;
            }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException(); // Ctrl+C while the policy files were read
            }
            var sink = new CmdletSink(this, SummaryOnly.IsPresent);
            ReplaySummary summary;
            try
            {
                summary = replayer.Replay(files, sink, CancellationToken);
            }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            Progress("Replaying access logs", $"{summary.Lines:N0} lines", 100, completed: true);
            WriteObject(summary);
            // The RequestDecisions and their PSObjects (LogFile/LogLine note properties) are made only now, one at a time:
            // PowerShell keeps a wrapped object's note properties in a process-wide weak table, and hundreds of thousands
            // of them (and of decision objects) kept alive during the replay make each of its garbage collections slower.
            foreach (var denied in sink.Denied)
            {
                var o = new PSObject(new RequestDecision(denied.Decision, denied.Request, engine.Behavior, NoTraceSteps));
                o.Properties.Add(new PSNoteProperty("LogFile", denied.File), preValidated: true);
                o.Properties.Add(new PSNoteProperty("LogLine", denied.Line), preValidated: true);
                WriteObject(o);
            }
        }

        private static readonly IReadOnlyList<TraceStep> NoTraceSteps = Array.Empty<TraceStep>();

        internal void ReportProgress(string activity, string status, int percent) => Progress(activity, status, percent);

        private List<string> ResolveLogPaths() => ProviderPaths.Resolve(this, AccessLogPath, "AccessLogPathNotFound", "Access log path");
    }

    /// <summary>A denied request and where in the logs it came from (the RequestDecision is made when it is written).</summary>
    internal readonly record struct DeniedLine(AlpRequest Request, PolicyDecision Decision, string File, long Line);

    /// <summary>Writes errors and progress as they happen; keeps the denied requests to output after the summary.</summary>
    /// <remarks>Top-level and internal (not nested in the public cmdlet): PowerShell lists the module's exported types
    /// before CalicoAlp.Core can be resolved, and a nested type implementing a Core interface would make that fail.</remarks>
    internal sealed class CmdletSink : IReplaySink
    {
        private readonly TestAlpRequestCommand _cmdlet;
        private readonly bool _summaryOnly;

        public CmdletSink(TestAlpRequestCommand cmdlet, bool summaryOnly)
        {
            _cmdlet = cmdlet;
            _summaryOnly = summaryOnly;
        }

        /// <summary>The denied requests in log order, output after the summary.</summary>
        public List<DeniedLine> Denied { get; } = new();

        public void Decision(string file, long line, AlpRequest request, PolicyDecision decision)
        {
            if (_summaryOnly || decision.Verdict == Verdict.Allow) return;
            Denied.Add(new DeniedLine(request, decision, file, line));
        }

        public void Error(string file, long line, string message) => _cmdlet.WriteError(AccessLogLineError.For(file, line, message));

        public void Progress(long lines, int percent, string file) =>
            _cmdlet.ReportProgress("Replaying access logs", $"{lines.ToString("N0", CultureInfo.InvariantCulture)} lines, {System.IO.Path.GetFileName(file)}", percent);
    }
}
