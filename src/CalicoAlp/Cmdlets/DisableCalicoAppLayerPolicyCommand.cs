using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// Undoes Enable-CalicoAppLayerPolicy: deletes the authorization-service objects (those CalicoAlp created or that
    /// still have Calico's spec, of any generation), puts back the ext-authz EnvoyFilter Enable replaced in place (the
    /// earlier form kept in an annotation) and restores FelixConfiguration 'default''s previous policySyncPathPrefix.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Disable, "CalicoAppLayerPolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(ResourceChange))]
    public sealed class DisableCalicoAppLayerPolicyCommand : ResourceChangeCmdlet
    {
        [Parameter]
        public SwitchParameter SkipAuthorizationService { get; set; }

        /// <summary>No confirmation prompt, and also delete authorization-service objects that others changed.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override bool SkipConfirmation => Force.IsPresent;

        protected override void ProcessRecord() => CollectTargets();

        protected override void EndProcessing()
        {
            try
            {
                RunClusters(CollectedTargets, DisableAsync);
            }
            catch (AlpException ex)
            {
                Terminate(ex);
            }
        }

        private async Task DisableAsync(ClusterScope cluster, CancellationToken ct)
        {
            var api = cluster.Api;
            var felixType = await PrerequisiteChecker.FelixConfigurationTypeAsync(api, ct).ConfigureAwait(false);
            var intents = AppLayerPolicySetup.DisableIntents(SkipAuthorizationService, Force, felixType);
            foreach (var outcome in await Changes(api).RunAsync(intents, ct).ConfigureAwait(false))
            {
                if (outcome.Reported) cluster.WriteObject(outcome.ToResourceChange(api));
            }
        }
    }
}
