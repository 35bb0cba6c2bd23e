using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Namespaces;
using CalicoAlp.Core.Results;
using CalicoAlp.Completers;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// Shared parameters of Add-AlpNamespace and Remove-AlpNamespace: collect names from the pipeline, then per cluster
    /// run the core's <see cref="NamespaceOnboarding"/> (labels, workload report, restarts, pilot check, all writes
    /// through the change runner) and write one result per namespace.
    /// </summary>
    public abstract class AlpNamespaceCmdlet : ResourceChangeCmdlet
    {
        private readonly List<(KubeApi Api, List<string> Names)> _batches = new();

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
            var api = Connect();
            var batch = _batches.FirstOrDefault(b => ReferenceEquals(b.Api, api));
            if (batch.Api == null)
            {
                batch = (api, new List<string>());
                _batches.Add(batch);
            }
            if (ParameterSetName == "Name") batch.Names.AddRange(Name);
        }

        protected override void EndProcessing()
        {
            foreach (var (api, names) in _batches)
            {
                try
                {
                    ProcessCluster(api, names);
                }
                catch (AlpException ex)
                {
                    WriteError(ToErrorRecord(ex));
                }
            }
        }

        private void ProcessCluster(KubeApi api, List<string> names)
        {
            var request = new NamespaceOnboardingRequest(Enable, names, All, Selector, Restart, Force, AllowPilot, Revision);
            var results = Run(ct => NamespaceOnboarding.RunAsync(Changes(api), request, ct));
            Progress(Enable ? "Adding namespaces to ALP" : "Removing namespaces from ALP", "Done", 100, completed: true);
            foreach (var r in results) WriteObject(r);
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
