namespace CalicoAlp.Core.Alp
{
    public static class AlpConstants
    {
        /// <summary>The policy-sync prefix the nodeagent flexvolume/CSI driver expects (NODEAGENT_HOME).</summary>
        public const string DefaultPolicySyncPathPrefix = "/var/run/nodeagent";
        public const string IstioNamespace = "istio-system";
        public const string ManagedByLabel = "app.kubernetes.io/managed-by";
        public const string ManagedByValue = "calicoalp";
        /// <summary>On FelixConfiguration default: the policySyncPathPrefix that was there before Enable (for Disable).</summary>
        public const string PreviousPrefixAnnotation = "calicoalp.io/previous-policy-sync-path-prefix";
        /// <summary>On an object whose spec Enable replaced in place (the ext-authz EnvoyFilter of an earlier form): {"labelled":bool,"spec":...} before Enable, for Disable.</summary>
        public const string PreviousSpecAnnotation = "calicoalp.io/previous-spec";
        public const string FelixConfigurationName = "default";
        /// <summary>kubectl's copy of the last applied object (large; never read by CalicoAlp, so dropped where objects are kept).</summary>
        public const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";
    }
}
