namespace CalicoAlp.Core.Kube
{
    /// <summary>A Kubernetes resource type: enough to build its REST paths and to name it in messages.</summary>
    public sealed record ResourceType(string Group, string Version, string Plural, string Kind, bool Namespaced)
    {
        public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
        /// <summary>kubectl's name for the type, e.g. <c>felixconfigurations.crd.projectcalico.org</c>.</summary>
        public string FullName => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

        public string CollectionPath(string? ns)
        {
            var root = Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";
            return Namespaced && !string.IsNullOrEmpty(ns) ? $"{root}/namespaces/{ns}/{Plural}" : $"{root}/{Plural}";
        }

        public string ItemPath(string? ns, string name) => $"{CollectionPath(ns)}/{System.Uri.EscapeDataString(name)}";

        public static readonly ResourceType Namespace = new("", "v1", "namespaces", "Namespace", false);
        public static readonly ResourceType ConfigMap = new("", "v1", "configmaps", "ConfigMap", true);
        public static readonly ResourceType Pod = new("", "v1", "pods", "Pod", true);
        public static readonly ResourceType ServiceAccount = new("", "v1", "serviceaccounts", "ServiceAccount", true);
        public static readonly ResourceType Deployment = new("apps", "v1", "deployments", "Deployment", true);
        public static readonly ResourceType DaemonSet = new("apps", "v1", "daemonsets", "DaemonSet", true);
        public static readonly ResourceType StatefulSet = new("apps", "v1", "statefulsets", "StatefulSet", true);
        public static readonly ResourceType ReplicaSet = new("apps", "v1", "replicasets", "ReplicaSet", true);
        public static readonly ResourceType Job = new("batch", "v1", "jobs", "Job", true);
        public static readonly ResourceType Node = new("", "v1", "nodes", "Node", false);

        public const string CalicoCrdGroup = "crd.projectcalico.org";
        public static readonly ResourceType FelixConfiguration = new(CalicoCrdGroup, "v1", "felixconfigurations", "FelixConfiguration", false);
        public static readonly ResourceType ClusterInformation = new(CalicoCrdGroup, "v1", "clusterinformations", "ClusterInformation", false);
        public static readonly ResourceType CalicoNetworkPolicy = new(CalicoCrdGroup, "v1", "networkpolicies", "NetworkPolicy", true);
        public static readonly ResourceType CalicoGlobalNetworkPolicy = new(CalicoCrdGroup, "v1", "globalnetworkpolicies", "GlobalNetworkPolicy", false);

        /// <summary>Calico's API group: served by Calico's API server (aggregated), or by the native CRDs of Calico 3.32's optional chart.</summary>
        public const string CalicoV3Group = "projectcalico.org";
        public static readonly ResourceType FelixConfigurationV3 = new(CalicoV3Group, "v3", "felixconfigurations", "FelixConfiguration", false);
        public static readonly ResourceType ClusterInformationV3 = new(CalicoV3Group, "v3", "clusterinformations", "ClusterInformation", false);

        public const string IstioNetworkingGroup = "networking.istio.io";
        public static readonly ResourceType ServiceEntry = new(IstioNetworkingGroup, "v1alpha3", "serviceentries", "ServiceEntry", true);
        public static readonly ResourceType DestinationRule = new(IstioNetworkingGroup, "v1alpha3", "destinationrules", "DestinationRule", true);
        public static readonly ResourceType EnvoyFilter = new(IstioNetworkingGroup, "v1alpha3", "envoyfilters", "EnvoyFilter", true);
        public static readonly ResourceType MeshPolicy = new("authentication.istio.io", "v1alpha1", "meshpolicies", "MeshPolicy", false);
        public static readonly ResourceType PeerAuthentication = new("security.istio.io", "v1beta1", "peerauthentications", "PeerAuthentication", true);
        /// <summary>security.istio.io/v1 (Istio 1.22+; v1beta1 is still served beside it in 1.28).</summary>
        public static readonly ResourceType PeerAuthenticationV1 = new("security.istio.io", "v1", "peerauthentications", "PeerAuthentication", true);
        public static readonly ResourceType IstioOperator = new("install.istio.io", "v1alpha1", "istiooperators", "IstioOperator", true);
    }
}
