using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Namespaces;
using CalicoAlp.Core.Results;
using CalicoAlp.Completers;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// Shared parameters of Add-AlpNamespace and Remove-AlpNamespace: collect names from the pipeline, then for each cluster (several at once)
    /// run the core's <see cref="NamespaceOnboarding"/> (labels, workload report, restarts, pilot check, all writes
    /// through the change runner) and write one result per namespace.
    /// </summary>
    public abstract class AlpNamespaceCmdlet : ResourceChangeCmdlet
    {
        private readonly Dictionary<ClusterTarget, List<string>> _names = new();

        // ValueFromPipeline only (not by property name): other cmdlets' results have a Name that is not a namespace.
        // The transformation takes the name from Namespace objects, Add-AlpNamespace results and CSV rows.
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name", ValueFromPipeline = true)]
        [Alias("Namespace")]
        [SupportsWildcards]
        [NamespaceNameTransformation]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        public string[] Name { get; set; } = Array.Empty<string>();

        /// <summary>Every namespace (narrowed by -Selector).</summary>
        [Parameter(Mandatory = true, ParameterSetName = "All")]
        public SwitchParameter All { get; set; }

        /// <summary>A Kubernetes label selector for -All, e.g. 'team=shop,env!=dev'.</summary>
        [Parameter(ParameterSetName = "All")]
        [ValidateNotNullOrEmpty]
        public string? Selector { get; set; }

        /// <summary>Recreate the pods that need it: rolling restart of Deployments, StatefulSets and DaemonSets.</summary>
        [Parameter]
        public SwitchParameter Restart { get; set; }

        /// <summary>Also act on protected namespaces and explicit opt-outs, and delete bare pods with -Restart.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>An Istio revision: label istio.io/rev=&lt;rev&gt; (Add) or remove it (Remove) instead of istio-injection.</summary>
        [Parameter]
        [ValidatePattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
        [ValidateLength(1, 63)]
        [ArgumentCompleter(typeof(RevisionCompleter))]
        public string? Revision { get; set; }

        protected abstract bool Enable { get; }

        protected override void ProcessRecord()
        {
            foreach (var target in CollectTargets())
            {
                if (!_names.TryGetValue(target, out var names)) _names[target] = names = new List<string>();
                if (ParameterSetName == "Name") names.AddRange(Name);
            }
        }

        protected override void EndProcessing()
        {
            try
            {
                RunClusters(CollectedTargets, ProcessClusterAsync);
            }
            catch (AlpException ex)
            {
                WriteError(ToErrorRecord(ex));
            }
            Progress(Enable ? "Adding namespaces to ALP" : "Removing namespaces from ALP", "Done", 100, completed: true);
        }

        private async Task ProcessClusterAsync(ClusterScope cluster, CancellationToken ct)
        {
            var request = new NamespaceOnboardingRequest(Enable, _names[cluster.Target], All, Selector, Restart, Force, AllowPilot, Revision);
            foreach (var r in await NamespaceOnboarding.RunAsync(Changes(cluster.Api), request, ct).ConfigureAwait(false)) cluster.WriteObject(r);
        }

        /// <summary>Add-AlpNamespace's -AllowIstioPilot.</summary>
        protected virtual bool AllowPilot => false;
    }

    /// <summary>Puts namespaces under ALP: istio-injection=enabled, the pods that still lack Envoy/Dikastes, and optional rolling restarts.</summary>
    [Cmdlet(VerbsCommon.Add, "AlpNamespace", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Name")]
    [OutputType(typeof(AlpNamespaceResult))]
    public sealed class AddAlpNamespaceCommand : AlpNamespaceCmdlet
    {
        protected override bool Enable => true;

        /// <summary>Where Envoy's egress to istio-pilot is blocked, create Calico's allow-istio-pilot NetworkPolicy in that namespace.</summary>
        [Parameter]
        public SwitchParameter AllowIstioPilot { get; set; }

        protected override bool AllowPilot => AllowIstioPilot.IsPresent;
    }

    /// <summary>Takes namespaces out of ALP: removes istio-injection, and with -Restart recreates pods without sidecars.</summary>
    [Cmdlet(VerbsCommon.Remove, "AlpNamespace", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Name")]
    [OutputType(typeof(AlpNamespaceResult))]
    public sealed class RemoveAlpNamespaceCommand : AlpNamespaceCmdlet
    {
        protected override bool Enable => false;
    }
}
