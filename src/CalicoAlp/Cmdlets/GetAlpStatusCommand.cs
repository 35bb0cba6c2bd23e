using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using System.Management.Automation;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Results;
using CalicoAlp.Core.Status;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// Checks everything application layer policy needs on a cluster, for its Calico and Istio generation, and emits
    /// one result per check with the command that fixes it. Reads only. A cluster that cannot be reached or read gives
    /// one Fail result of its own (area Cluster), so a runbook over several clusters goes on. Several clusters
    /// (-Context a,b,c, or piped objects with a Context) are checked at the same time.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "AlpStatus", DefaultParameterSetName = ResultsSet)]
    [OutputType(typeof(AlpCheckResult), ParameterSetName = new[] { ResultsSet })]
    [OutputType(typeof(bool), ParameterSetName = new[] { QuietSet })]
    public sealed class GetAlpStatusCommand : KubeCmdlet
    {
        private const string ResultsSet = "Results";
        private const string QuietSet = "Quiet";
        private const string DetailedTypeName = "CalicoAlp.Core.Results.AlpCheckResult#Detailed";
        private readonly object _lock = new();
        private bool _healthy = true;

        /// <summary>The Istio revision to check (default: the only control plane, or the default one of several).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Revision { get; set; }

        /// <summary>One result per namespace for the namespace, workload and pilot-egress checks (passing ones too).</summary>
        [Parameter(ParameterSetName = ResultsSet)]
        public SwitchParameter Detailed { get; set; }

        /// <summary>Emit only $true (no check failed) or $false, for runbooks.</summary>
        [Parameter(Mandatory = true, ParameterSetName = QuietSet)]
        public SwitchParameter Quiet { get; set; }

        protected override void ProcessRecord() => CollectTargets();

        protected override void EndProcessing()
        {
            // A cluster that could not be checked at all: one result saying so, never an aborted run.
            RunClusters(CollectedTargets, CheckAsync, (target, ex, write) =>
                Emit(new[] { AlpStatusInspector.Unreachable(target.Context, target.Kubeconfig.Count == 0 ? null : string.Join(System.IO.Path.PathSeparator, target.Kubeconfig), ex) }, write));
            Progress("Checking application layer policy", "Done", 100, completed: true);
            if (Quiet) WriteObject(_healthy);
        }

        private async Task CheckAsync(ClusterScope cluster, CancellationToken ct) =>
            Emit(await AlpStatusInspector.InspectAsync(cluster.Api, Revision, Detailed, ct).ConfigureAwait(false), cluster.WriteObject);

        private void Emit(IReadOnlyList<AlpCheckResult> results, Action<object> write)
        {
            lock (_lock) _healthy &= AlpStatusInspector.Healthy(results);
            if (Quiet) return;
            foreach (var r in results)
            {
                if (!Detailed)
                {
                    write(r);
                    continue;
                }
                // -Detailed: the list view (every property, the objects one per line, the detail text).
                var shown = PSObject.AsPSObject(r);
                shown.TypeNames.Insert(0, DetailedTypeName);
                write(shown);
            }
        }
    }
}
