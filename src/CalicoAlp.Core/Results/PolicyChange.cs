using CalicoAlp.Core.Policy.Comparison;
using CalicoAlp.Core.Policy.Evaluation;
using System.Collections.Generic;
using System.Net;
namespace CalicoAlp.Core.Results
{
    /// <summary>One compared request: how its decision changes, the request, both decisions and its log position.</summary>
    public sealed class PolicyChange
    {
        private static readonly IReadOnlyList<TraceStep> NoTrace = [];

        public PolicyChange(in ComparedRequest compared, CalicoBehavior behavior)
        {
            Change = compared.Change;
            Request = compared.Request;
            Reference = new RequestDecision(compared.Reference, compared.Request, behavior, NoTrace);
            Difference = new RequestDecision(compared.Difference, compared.Request, behavior, NoTrace);
            LogFile = compared.File;
            LogLine = compared.File != null ? compared.Line : null;
        }

        public ChangeKind Change { get; }
        public string SourcePrincipal => Request.SourcePrincipal;
        public IPAddress? SourceIP => Request.SourceIP;
        public string? Method => Request.Method;
        public string? Path => Request.Path;
        public int DestinationPort => Request.DestinationPort;
        /// <summary>The decision of the reference set (tier, policy, rule).</summary>
        public RequestDecision Reference { get; }
        /// <summary>The decision of the difference set (tier, policy, rule).</summary>
        public RequestDecision Difference { get; }
        public string? LogFile { get; }
        public long? LogLine { get; }
        public AlpRequest Request { get; }

        public override string ToString() => $"{Change}: {Method} {Path} from {(SourcePrincipal.Length > 0 ? SourcePrincipal : SourceIP?.ToString() ?? "-")}: " +
                                             $"{Reference.Decision} by {Reference.DecidedBy} -> {Difference.Decision} by {Difference.DecidedBy}";
    }
}
