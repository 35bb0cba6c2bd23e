using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Generations;
using CalicoAlp.Core.Results;
using CalicoAlp.Completers;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// Turns on Calico application layer policy: policySyncPathPrefix on FelixConfiguration 'default' and Calico's
    /// authorization service (ServiceEntry, DestinationRule, EnvoyFilter in the form of the Istio generation found) in
    /// istio-system, after checking Calico (Kubernetes datastore), Istio (version, revision, not ambient) and mutual TLS.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Enable, "CalicoAppLayerPolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(ResourceChange))]
    public sealed class EnableCalicoAppLayerPolicyCommand : ResourceChangeCmdlet
    {
        [Parameter(Position = 0)]
        [ValidatePattern("^/[^\\s]*$")]
        public string PolicySyncPathPrefix { get; set; } = AlpConstants.DefaultPolicySyncPathPrefix;

        /// <summary>Only configure Felix; leave the mesh objects alone.</summary>
        [Parameter]
        public SwitchParameter SkipAuthorizationService { get; set; }

        /// <summary>The Istio revision (istio.io/rev of its istiod-&lt;rev&gt; Deployment) whose generation is applied, when several control planes run.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(RevisionCompleter))]
        public string? Revision { get; set; }

        /// <summary>Proceed although a prerequisite check failed (each failure is still reported as a warning); a refused Istio release gets the nearest generation's objects.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord() => CollectTargets();

        protected override void EndProcessing()
        {
            try
            {
                RunClusters(CollectedTargets, EnableAsync);
            }
            catch (AlpException ex)
            {
                Terminate(ex);
            }
        }

        private async Task EnableAsync(ClusterScope cluster, CancellationToken ct)
        {
            var api = cluster.Api;
            var report = await PrerequisiteChecker.CheckAsync(api, Revision, ct).ConfigureAwait(false);
            cluster.WriteVerbose($"Kubernetes {report.KubernetesVersion ?? "?"}; Calico {report.CalicoVersion ?? "?"} ({report.CalicoVersionSource ?? "not found"}); " +
                                 $"Istio {report.IstioVersion ?? "?"} ({report.IstioVersionSource ?? "not found"}), revision {report.IstioRevision ?? "?"}; " +
                                 $"mTLS: {(report.MutualTls ? report.MutualTlsSource : "off")}.");
            if (report.IstioRevisions.Count > 0) cluster.WriteVerbose($"Istio control planes: {string.Join("; ", report.IstioRevisions)}.");
            if (report.MutualTlsApi != null) cluster.WriteVerbose($"mTLS read through {report.MutualTlsApi} in root namespace {report.MutualTlsRootNamespace}.");
            if (report.Generation is { } g) cluster.WriteVerbose($"Generation: {g}; Calico's file {g.CalicoFilterFile}.");
            foreach (var note in report.Notes) cluster.WriteVerbose(note);
            if (!report.CalicoFound)
            {
                // Nothing can be written without Calico's CRDs, -Force or not.
                throw new AlpException("CalicoNotFound", AlpErrorKind.NotInstalled, report.Problems[0], api.ContextName);
            }
            if (!report.Ready)
            {
                if (!Force)
                {
                    throw new AlpException(report.Ambient ? "IstioAmbientMode" : "AlpPrerequisiteFailed", AlpErrorKind.NotInstalled,
                        $"Application layer policy cannot be enabled on context '{api.ContextName}': {string.Join(" ", report.Problems)}", api.ContextName)
                    { RecommendedAction = "Fix the prerequisites, or pass -Force to write the configuration anyway." };
                }
                foreach (var p in report.Problems) cluster.WriteWarning($"Continuing because of -Force: {p}");
                if (report.Generation is { Refusal: not null, Nearest: { } n })
                {
                    cluster.WriteWarning($"Applying the Istio {n.Major}.{n.Minor} method: EnvoyFilter form {report.Generation.EnvoyFilter} ({report.Generation.CalicoFilterFile}).");
                }
            }
            foreach (var w in report.Warnings) cluster.WriteWarning(w);
            if (PolicySyncPathPrefix != AlpConstants.DefaultPolicySyncPathPrefix)
            {
                cluster.WriteWarning($"policySyncPathPrefix '{PolicySyncPathPrefix}' differs from '{AlpConstants.DefaultPolicySyncPathPrefix}', the path the nodeagent volume driver (flexvolume/CSI) expects; Dikastes will not find Felix's socket unless the driver is configured to match.");
            }
            var intents = AppLayerPolicySetup.EnableIntents(PolicySyncPathPrefix, SkipAuthorizationService,
                report.Generation?.EnvoyFilter ?? EnvoyFilterForm.Filters, report.FelixConfigurationType);
            foreach (var outcome in await Changes(api).RunAsync(intents, ct).ConfigureAwait(false))
            {
                if (outcome.Reported) cluster.WriteObject(outcome.ToResourceChange(api));
            }
        }
    }
}
