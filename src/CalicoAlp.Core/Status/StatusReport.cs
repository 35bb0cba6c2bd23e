using System;
using System.Collections.Generic;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Status
{
    /// <summary>
    /// The results of one cluster's checks as they are made: every result gets the cluster's context, kubeconfig and
    /// revision, and every fix command names the context (and the revision when it is not the default one).
    /// </summary>
    public sealed class StatusReport
    {
        private readonly List<AlpCheckResult> _results = new();

        public StatusReport(KubeApi api, string? revision)
        {
            Context = api.ContextName;
            Kubeconfig = api.Kubeconfig;
            Revision = revision;
        }

        public string Context { get; }
        public string? Kubeconfig { get; }
        public string? Revision { get; set; }
        public IReadOnlyList<AlpCheckResult> Results => _results;

        /// <summary>Adds a result; <paramref name="fix"/> is a cmdlet invocation without the context (added here) or a manual step.</summary>
        public AlpCheckResult Add(string area, string check, AlpCheckStatus status, string message, IReadOnlyList<string>? objects = null,
            string? fix = null, AlpRepairKind repair = AlpRepairKind.None, IReadOnlyList<string>? repairNamespaces = null, string? detail = null)
        {
            var result = new AlpCheckResult
            {
                Context = Context,
                Kubeconfig = Kubeconfig,
                Area = area,
                Check = check,
                Status = status,
                Message = message,
                Objects = objects ?? Array.Empty<string>(),
                FixCommand = status is AlpCheckStatus.Pass or AlpCheckStatus.NotApplicable or AlpCheckStatus.Skipped ? null : fix,
                Repair = status is AlpCheckStatus.Fail or AlpCheckStatus.Warn ? repair : AlpRepairKind.None,
                RepairNamespaces = repairNamespaces ?? Array.Empty<string>(),
                Revision = Revision,
                Detail = detail,
            };
            _results.Add(result);
            return result;
        }

        /// <summary>A CalicoAlp command for this cluster: the cmdlet and its arguments, then -Context (and -Revision when not the default).</summary>
        public string Command(string cmdlet, string? arguments = null, bool revision = false)
        {
            var text = cmdlet + (string.IsNullOrEmpty(arguments) ? "" : " " + arguments) + " -Context " + Quote(Context);
            if (revision && !string.IsNullOrEmpty(Revision) && Revision != Alp.IstioControlPlane.DefaultRevision) text += " -Revision " + Quote(Revision!);
            return text;
        }

        /// <summary>A PowerShell single-quoted string.</summary>
        public static string Quote(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";

        /// <summary>Names as a PowerShell list (a,b,c), quoted.</summary>
        public static string QuoteList(IEnumerable<string> names) => string.Join(",", System.Linq.Enumerable.Select(names, Quote));
    }
}
