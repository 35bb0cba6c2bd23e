using System.Management.Automation;
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

        protected override void ProcessRecord()
        {
            var api = Connect();
            try
            {
                var report = Run(ct => PrerequisiteChecker.CheckAsync(api, Revision, ct));
                WriteVerbose($"Kubernetes {report.KubernetesVersion ?? "?"}; Calico {report.CalicoVersion ?? "?"} ({report.CalicoVersionSource ?? "not found"}); " +
                             $"Istio {report.IstioVersion ?? "?"} ({report.IstioVersionSource ?? "not found"}), revision {report.IstioRevision ?? "?"}; " +
                             $"mTLS: {(report.MutualTls ? report.MutualTlsSource : "off")}.");
                if (report.IstioRevisions.Count > 0) WriteVerbose($"Istio control planes: {string.Join("; ", report.IstioRevisions)}.");
                if (report.MutualTlsApi != null) WriteVerbose($"mTLS read through {report.MutualTlsApi} in root namespace {report.MutualTlsRootNamespace}.");
                if (report.Generation is { } g) WriteVerbose($"Generation: {g}; Calico's file {g.CalicoFilterFile}.");
                foreach (var note in report.Notes) WriteVerbose(note);
                if (!report.CalicoFound)
                {
                    // Nothing can be written without Calico's CRDs, -Force or not.
                    Terminate(new AlpException("CalicoNotFound", AlpErrorKind.NotInstalled, report.Problems[0], api.ContextName));
                }
                if (!report.Ready)
                {
                    if (!Force)
                    {
                        Terminate(new AlpException(report.Ambient ? "IstioAmbientMode" : "AlpPrerequisiteFailed", AlpErrorKind.NotInstalled,
                            $"Application layer policy cannot be enabled on context '{api.ContextName}': {string.Join(" ", report.Problems)}", api.ContextName)
                        { RecommendedAction = "Fix the prerequisites, or pass -Force to write the configuration anyway." });
                    }
                    foreach (var p in report.Problems) WriteWarning($"Continuing because of -Force: {p}");
                    if (report.Generation is { Refusal: not null, Nearest: { } n })
                    {
                        WriteWarning($"Applying the Istio {n.Major}.{n.Minor} method: EnvoyFilter form {report.Generation.EnvoyFilter} ({report.Generation.CalicoFilterFile}).");
                    }
                }
                foreach (var w in report.Warnings) WriteWarning(w);
                if (PolicySyncPathPrefix != AlpConstants.DefaultPolicySyncPathPrefix)
                {
                    WriteWarning($"policySyncPathPrefix '{PolicySyncPathPrefix}' differs from '{AlpConstants.DefaultPolicySyncPathPrefix}', the path the nodeagent volume driver (flexvolume/CSI) expects; Dikastes will not find Felix's socket unless the driver is configured to match.");
                }
                var intents = AppLayerPolicySetup.EnableIntents(PolicySyncPathPrefix, SkipAuthorizationService,
                    report.Generation?.EnvoyFilter ?? EnvoyFilterForm.Filters, report.FelixConfigurationType);
                foreach (var outcome in Run(ct => Changes(api).RunAsync(intents, ct)))
                {
                    if (outcome.Reported) WriteObject(outcome.ToResourceChange(api));
                }
            }
            catch (AlpException ex)
            {
                Terminate(ex);
            }
        }
    }
}
