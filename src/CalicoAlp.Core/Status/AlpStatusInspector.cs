using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Status
{
    /// <summary>
    /// Get-AlpStatus on one cluster: every check for the cluster's generation, in the order an admin fixes things
    /// (Calico, Felix, Istio, mutual TLS, injector, authorization service, namespaces, workloads, pilot egress). Reads
    /// only, with get/list. A check whose reads are forbidden (403) is reported as Skipped with what was refused, and
    /// the others still run; any other failure (unreachable, 401) ends the cluster's run with that error.
    /// </summary>
    public static class AlpStatusInspector
    {
        public static async Task<IReadOnlyList<AlpCheckResult>> InspectAsync(KubeApi api, string? revision, bool detailed, CancellationToken ct)
        {
            var report = new StatusReport(api, revision);
            var log = api.Log;
            log.Progress("Checking application layer policy", $"Prerequisites on '{api.ContextName}'", 5);
            PrerequisiteReport? prerequisites;
            try
            {
                prerequisites = await PrerequisitesAsync(report, api, revision, ct).ConfigureAwait(false);
            }
            catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
            {
                foreach (var check in new[] { "Calico.Datastore", "Felix.PolicySyncPathPrefix", "Istio.Version", "MutualTls.MeshWide", "Injector.Dikastes", "AuthorizationService.Objects", "Namespaces.Injection" })
                {
                    report.Add(check.Split('.')[0], check, AlpCheckStatus.Skipped, Forbidden(ex));
                }
                return report.Results;
            }
            report.Revision = prerequisites.IstioRevision ?? revision;
            foreach (var note in prerequisites.Notes) log.Verbose(note);

            PlatformChecks.Calico(report, prerequisites);
            await GuardAsync(report, "Felix", "Felix.PolicySyncPathPrefix", () => PlatformChecks.FelixAsync(report, api, prerequisites, ct)).ConfigureAwait(false);
            PlatformChecks.Istio(report, prerequisites);
            PlatformChecks.MutualTls(report, prerequisites);

            log.Progress("Checking application layer policy", $"Injector on '{api.ContextName}'", 35);
            // The control planes PrerequisiteChecker listed (istio-system Deployments are listed once for all checks).
            var planes = prerequisites.ControlPlanes;
            var plane = planes.FirstOrDefault(p => p.Revision == (prerequisites.IstioRevision ?? IstioControlPlane.DefaultRevision));
            await GuardAsync(report, "Injector", "Injector.Dikastes", () => InjectorChecks.RunAsync(report, api, prerequisites, plane, ct)).ConfigureAwait(false);

            log.Progress("Checking application layer policy", $"Authorization service on '{api.ContextName}'", 55);
            await GuardAsync(report, "AuthorizationService", "AuthorizationService.Objects", () => AuthorizationServiceChecks.RunAsync(report, api, prerequisites, ct)).ConfigureAwait(false);

            log.Progress("Checking application layer policy", $"Namespaces, pods and policies on '{api.ContextName}'", 70);
            await GuardAsync(report, "Namespaces", "Namespaces.Injection", () => NamespaceChecks.RunAsync(report, api, prerequisites, planes, detailed, ct)).ConfigureAwait(false);
            log.Progress("Checking application layer policy", "Done", 100);
            return report.Results;
        }

        /// <summary>Several control planes and no -Revision: the default one is checked (with a warning), else the first.</summary>
        private static async Task<PrerequisiteReport> PrerequisitesAsync(StatusReport report, KubeApi api, string? revision, CancellationToken ct)
        {
            try
            {
                return await PrerequisiteChecker.CheckAsync(api, revision, ct).ConfigureAwait(false);
            }
            catch (AlpException ex) when (ex.ErrorId == PrerequisiteChecker.RevisionAmbiguousErrorId && revision == null)
            {
                var planes = await IstioControlPlane.FindAsync(api, AlpConstants.IstioNamespace, new List<string>(), ct).ConfigureAwait(false);
                var chosen = planes.FirstOrDefault(p => p.Revision == IstioControlPlane.DefaultRevision) ?? planes[0];
                api.Log.Verbose($"Several control planes and no -Revision: checking revision '{chosen.Revision}'.");
                return await PrerequisiteChecker.CheckAsync(api, chosen.Revision, ct).ConfigureAwait(false);
            }
        }

        /// <summary>Runs a group of checks; a 403 becomes a Skipped result naming what was refused.</summary>
        private static async Task GuardAsync(StatusReport report, string area, string check, Func<Task> checks)
        {
            var before = report.Results.Count;
            try
            {
                await checks().ConfigureAwait(false);
            }
            catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
            {
                report.Add(area, check, AlpCheckStatus.Skipped, Forbidden(ex), detail: $"{report.Results.Count - before} result(s) of this group were made before the refusal.");
            }
        }

        private static string Forbidden(AlpException ex) => "Not checked: forbidden (403). " + ex.Message;

        /// <summary>The one result of a cluster that could not be checked (unreachable, bad credentials, no such context).</summary>
        public static AlpCheckResult Unreachable(string? context, string? kubeconfig, AlpException error) => new()
        {
            Context = context ?? "",
            Kubeconfig = kubeconfig,
            Area = "Cluster",
            Check = "Cluster.Connection",
            Status = AlpCheckStatus.Fail,
            Message = $"The cluster could not be checked: {error.Message}",
            FixCommand = error.RecommendedAction,
            Detail = $"Error {error.ErrorId} ({error.Kind}).",
        };

        /// <summary>-Quiet: true when no result of any cluster is Fail.</summary>
        public static bool Healthy(IEnumerable<AlpCheckResult> results) => results.All(r => r.Status != AlpCheckStatus.Fail);
    }
}
