namespace CalicoAlp.Core.Results
{
    /// <summary>What Repair-AlpSetup does for a failed check (None: not something CalicoAlp changes; see the fix command).</summary>
    public enum AlpRepairKind
    {
        None,
        /// <summary>FelixConfiguration 'default' gets policySyncPathPrefix (Enable-CalicoAppLayerPolicy's first step).</summary>
        FelixPolicySync,
        /// <summary>The injector gets Dikastes for the cluster's Calico (Set-IstioInjectorPatch).</summary>
        InjectorPatch,
        /// <summary>Namespaces are labelled and their workloads recreated so their pods get both sidecars (Add-AlpNamespace -Restart).</summary>
        NamespaceWorkloads,
        /// <summary>Namespaces get Calico's allow-istio-pilot policy on the control plane's port (Add-AlpNamespace -AllowIstioPilot).</summary>
        PilotEgress,
        /// <summary>ServiceEntry, DestinationRule and EnvoyFilter ext-authz in the generation's form (Enable-CalicoAppLayerPolicy).</summary>
        AuthorizationService,
    }
}
