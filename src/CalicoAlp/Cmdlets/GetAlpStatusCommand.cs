using System.Collections.Generic;
using System.Management.Automation;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Results;
using CalicoAlp.Core.Status;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// Checks everything application layer policy needs on a cluster, for its Calico and Istio generation, and emits
    /// one result per check with the command that fixes it. Reads only. A cluster that cannot be reached or read gives
    /// one Fail result of its own (area Cluster), so a runbook over several clusters goes on.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "AlpStatus", DefaultParameterSetName = ResultsSet)]
    [OutputType(typeof(AlpCheckResult), ParameterSetName = new[] { ResultsSet })]
    [OutputType(typeof(bool), ParameterSetName = new[] { QuietSet })]
    public sealed class GetAlpStatusCommand : KubeCmdlet
    {
        private const string ResultsSet = "Results";
        private const string QuietSet = "Quiet";
        private const string DetailedTypeName = "CalicoAlp.Core.Results.AlpCheckResult#Detailed";
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

        protected override void ProcessRecord()
        {
            IReadOnlyList<AlpCheckResult> results;
            try
            {
                var api = Connect(terminate: false);
                results = Run(ct => AlpStatusInspector.InspectAsync(api, Revision, Detailed, ct));
            }
            catch (AlpException ex)
            {
                // The cluster could not be checked at all: one result saying so, never an aborted run.
                results = new[] { AlpStatusInspector.Unreachable(Context, KubeconfigText, ex) };
            }
            Progress("Checking application layer policy", "Done", 100, completed: true);
            _healthy &= AlpStatusInspector.Healthy(results);
            if (Quiet) return;
            foreach (var r in results)
            {
                if (!Detailed)
                {
                    WriteObject(r);
                    continue;
                }
                // -Detailed: the list view (every property, the objects one per line, the detail text).
                var shown = PSObject.AsPSObject(r);
                shown.TypeNames.Insert(0, DetailedTypeName);
                WriteObject(shown);
            }
        }

        protected override void EndProcessing()
        {
            if (Quiet) WriteObject(_healthy);
        }
    }
}
