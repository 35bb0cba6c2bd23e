using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Results;
using CalicoAlp.Core.Status;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// Runs the fixes of piped Get-AlpStatus results, per cluster, in the safe order (Felix, injector, workloads, pilot
    /// egress, authorization service), each through the same change flow as the cmdlet its fix command names; stops at
    /// the first failing step. Checks CalicoAlp cannot fix (mutual TLS, Istio or Calico releases, native sidecars) are
    /// reported with their fix command and left alone.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Repair, "AlpSetup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(ResourceChange), typeof(InjectorPatchResult), typeof(AlpNamespaceResult))]
    public sealed class RepairAlpSetupCommand : ResourceChangeCmdlet
    {
        private readonly List<(ClusterTarget Target, string? Revision, List<(string Kind, IEnumerable<string> Namespaces)> Wanted)> _batches = new();

        /// <summary>A Get-AlpStatus result (or an object with its Check, Status, Repair and RepairNamespaces properties).</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true)]
        public PSObject? InputObject { get; set; }

        /// <summary>Apply the authorization service although a prerequisite check fails, as Enable-CalicoAppLayerPolicy -Force does.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            if (InputObject == null) return;
            var check = Property("Check") ?? "(unnamed check)";
            var status = Property("Status");
            var repair = Property("Repair");
            if (string.Equals(status, "Pass", StringComparison.OrdinalIgnoreCase) || string.Equals(status, "NotApplicable", StringComparison.OrdinalIgnoreCase))
            {
                WriteVerbose($"{check}: {status}, nothing to repair.");
                return;
            }
            if (AlpRepair.ParseKind(repair) == AlpRepairKind.None)
            {
                var fix = Property("FixCommand");
                WriteWarning($"{check} is not repaired by Repair-AlpSetup{(fix != null ? ": " + fix : ".")}");
                return;
            }
            var revision = Property("Revision");
            foreach (var target in CollectTargets())
            {
                var batch = _batches.FirstOrDefault(b => b.Target.Equals(target) && b.Revision == revision);
                if (batch.Target == null)
                {
                    batch = (target, revision, new List<(string, IEnumerable<string>)>());
                    _batches.Add(batch);
                }
                batch.Wanted.Add((repair!, Strings(InputObject.Properties["RepairNamespaces"]?.Value)));
            }
        }

        protected override void EndProcessing()
        {
            // The clusters are repaired at the same time; each cluster's batches (one per Istio revision) in turn.
            var targets = _batches.Select(b => b.Target).Distinct().ToList();
            try
            {
                RunClusters(targets, RepairAsync);
            }
            catch (AlpException ex)
            {
                Terminate(ex);
            }
            Progress("Repairing application layer policy", "Done", 100, completed: true);
        }

        private async Task RepairAsync(ClusterScope cluster, CancellationToken ct)
        {
            foreach (var (_, revision, wanted) in _batches.Where(b => b.Target.Equals(cluster.Target)))
            {
                var steps = AlpRepair.Plan(wanted.Select(w => (AlpRepair.ParseKind(w.Kind), w.Namespaces)));
                cluster.WriteVerbose($"Repair on '{cluster.Context}': {string.Join("; ", steps)}.");
                var outcome = await AlpRepair.RunAsync(Changes(cluster.Api), steps, revision, Force, ct).ConfigureAwait(false);
                foreach (var r in outcome.Results) cluster.WriteObject(r);
                if (outcome.Error == null) continue;
                // One batch: the run ends with the error. Several: the others are still repaired.
                if (_batches.Count == 1) throw outcome.Error;
                cluster.WriteError(ToErrorRecord(outcome.Error));
            }
        }

        private string? Property(string name) => InputObject?.Properties[name]?.Value?.ToString() is { Length: > 0 } s ? s : null;

        /// <summary>Namespaces as a list (a result's RepairNamespaces) or one string (a CSV row: comma- or space-separated).</summary>
        private static IEnumerable<string> Strings(object? value)
        {
            if (value is PSObject ps) value = ps.BaseObject;
            if (value is string s) return s.Split(new[] { ',', ' ', ';' }, StringSplitOptions.RemoveEmptyEntries);
            if (value is IEnumerable e) return e.Cast<object?>().Select(o => o?.ToString()).Where(o => !string.IsNullOrEmpty(o)).Select(o => o!).ToList();
            return Array.Empty<string>();
        }
    }
}
