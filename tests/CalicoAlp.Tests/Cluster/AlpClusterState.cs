using CalicoAlp.Tests.Infrastructure;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>Puts the shared test cluster back to the fixture's ALP-off state (with kubectl, not with the code under test).</summary>
    public static class AlpClusterState
    {
        public static void Reset(ClusterFixture cluster)
        {
            cluster.Kubectl("-n", "istio-system", "delete", "serviceentries.networking.istio.io/dikastes",
                "destinationrules.networking.istio.io/dikastes-mtls", "envoyfilters.networking.istio.io/ext-authz", "--ignore-not-found");
            cluster.KubectlOk("patch", "felixconfigurations.crd.projectcalico.org", "default", "--type=merge",
                "-p", "{\"metadata\":{\"annotations\":{\"calicoalp.io/previous-policy-sync-path-prefix\":null}},\"spec\":{\"policySyncPathPrefix\":null}}");
        }

        /// <summary>Read access to the Calico and Istio CRDs for the 'viewer' user, and read + Felix patch (but no mesh writes) for 'noaccess'.</summary>
        public static void GrantTestRoles(ClusterFixture cluster)
        {
            var viewer = cluster.Env["VIEWER_USER"];
            var noaccess = cluster.Env["NOACCESS_USER"];
            cluster.KubectlApply($@"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: calicoalp-test-crd-reader}}
rules:
- apiGroups: [crd.projectcalico.org, networking.istio.io, authentication.istio.io, security.istio.io]
  resources: ['*']
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: calicoalp-test-viewer-crd-reader}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: calicoalp-test-crd-reader}}
subjects:
- {{apiGroup: rbac.authorization.k8s.io, kind: User, name: {viewer}}}
- {{apiGroup: rbac.authorization.k8s.io, kind: User, name: {noaccess}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: calicoalp-test-felix-writer}}
rules:
- apiGroups: [crd.projectcalico.org]
  resources: [felixconfigurations]
  verbs: [get, list, patch, update, create]
- apiGroups: ['', apps]
  resources: [configmaps, deployments, daemonsets]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: calicoalp-test-noaccess-felix-writer}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: calicoalp-test-felix-writer}}
subjects:
- {{apiGroup: rbac.authorization.k8s.io, kind: User, name: {noaccess}}}
");
        }

        public static void RevokeTestRoles(ClusterFixture cluster)
        {
            cluster.Kubectl("delete", "clusterrolebinding", "calicoalp-test-viewer-crd-reader", "calicoalp-test-noaccess-felix-writer", "--ignore-not-found");
            cluster.Kubectl("delete", "clusterrole", "calicoalp-test-crd-reader", "calicoalp-test-felix-writer", "--ignore-not-found");
        }
    }
}
