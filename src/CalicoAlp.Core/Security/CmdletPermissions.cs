using System;
using System.Collections.Generic;
using System.Linq;

namespace CalicoAlp.Core.Security
{
    /// <summary>The rules of one cmdlet in one mode (a parameter set or a switch that needs more).</summary>
    public sealed record CmdletPermissionSet(string Command, string Mode, string ModeDescription, IReadOnlyList<PermissionRule> Rules);

    /// <summary>
    /// THE table of the Kubernetes RBAC rules each cluster cmdlet needs, per mode where they differ, derived from what
    /// its core workflow calls on <see cref="Kube.KubeApi"/> (discovery of /apis and GET /version need no RBAC rule:
    /// every authenticated user may read them). Get-AlpPermission lists it and emits it as a Role/ClusterRole; the
    /// "Permissions" section of each docs page is generated from it (a unit test compares them), and the RBAC cluster
    /// tests run each cmdlet with exactly these rules and with each one removed. A new cmdlet adds its rows here.
    /// </summary>
    public static class CmdletPermissions
    {
        private const string Core = "";
        private const string Apps = "apps";
        private const string Calico = "crd.projectcalico.org";
        private const string CalicoV3 = "projectcalico.org";
        private const string IstioNet = "networking.istio.io";
        private const string IstioSystem = "istio-system";
        private static readonly string[] Targets = { PermissionRule.TargetNamespaces };
        private static readonly string[] InIstioSystem = { IstioSystem };

        private static PermissionRule Rule(string group, string resource, string verbs, string[]? namespaces, string reason) =>
            new(group, resource, verbs.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), namespaces, reason);

        private static PermissionRule Detect(string group, string resource, string verbs, string[]? namespaces, string reason) =>
            Rule(group, resource, verbs, namespaces, reason) with { Need = PermissionNeed.Detection };

        // --- shared pieces ---------------------------------------------------------------------------------------

        /// <summary>Reading policy from the cluster (ClusterPolicySource): every policy kind ALP evaluates, and the labels of namespaces and service accounts.</summary>
        private static IEnumerable<PermissionRule> PolicyReads(string purpose) => new[]
        {
            Rule(Calico, "tiers", "list", null, $"{purpose}: Calico tiers (their order; skipped where the CRD does not exist)"),
            Rule(Calico, "globalnetworkpolicies", "list", null, $"{purpose}: Calico GlobalNetworkPolicies"),
            Rule(Calico, "networkpolicies", "list", null, $"{purpose}: Calico NetworkPolicies in all namespaces"),
            Rule(Calico, "stagedglobalnetworkpolicies", "list", null, $"{purpose}: staged Calico GlobalNetworkPolicies (skipped where the CRD does not exist)"),
            Rule(Calico, "stagednetworkpolicies", "list", null, $"{purpose}: staged Calico NetworkPolicies (skipped where the CRD does not exist)"),
            Rule("networking.k8s.io", "networkpolicies", "list", null, $"{purpose}: Kubernetes NetworkPolicies in all namespaces"),
            Rule(Core, "namespaces", "list", null, $"{purpose}: namespace labels (namespaceSelector)"),
            Rule(Core, "serviceaccounts", "list", null, $"{purpose}: service account labels (serviceAccountSelector)"),
        };

        /// <summary>The Istio control planes in istio-system (IstioControlPlane, IstioRevisions): the Istio version and revisions.</summary>
        private static PermissionRule ControlPlaneRead(string effect) =>
            Detect(Apps, "deployments", "get,list", InIstioSystem, $"the Istio control plane (istiod, istio-pilot Deployments): Istio version and revisions; without it {effect}");

        private static PermissionRule CalicoNodeRead(string effect) =>
            Detect(Apps, "daemonsets", "get", new[] { "kube-system", "calico-system" }, $"DaemonSet calico-node: the Calico version from its image; without it {effect}") with { ResourceNames = new[] { "calico-node" } };

        private static PermissionRule ClusterInformationRead(string effect) =>
            Detect(Calico, "clusterinformations", "get", null, $"ClusterInformation 'default': the Calico version when calico-node is not readable; without it {effect}") with { ResourceNames = new[] { "default" } };

        private static IEnumerable<PermissionRule> FelixWrites(string verbs, string why) => new[]
        {
            Rule(Calico, "felixconfigurations", verbs, null, why) with { ResourceNames = verbs.Contains("create", StringComparison.Ordinal) ? Array.Empty<string>() : new[] { "default" } },
        };

        private static IEnumerable<PermissionRule> NamespaceBase(bool add) => new[]
        {
            Rule(Core, "namespaces", "list,patch", null, add
                ? "list the namespaces (names, wildcards, -All/-Selector) and patch the istio-injection (or istio.io/rev) label"
                : "list the namespaces (names, wildcards, -All/-Selector) and patch the istio-injection (or istio.io/rev) label away"),
            Rule(Core, "pods", "list", Targets, "list the pods of each namespace to report the workloads that still lack (Add) or still have (Remove) the sidecars"),
            Rule(Apps, "replicasets", "list", Targets, "the Deployments owning pods with a gap") with { When = "pods owned by ReplicaSets lack (Add) or still have (Remove) the sidecars" },
            ControlPlaneRead("no Istio generation-specific steps are taken"),
        };

        private static IEnumerable<PermissionRule> AddDetection() => new[]
        {
            Detect(Core, "configmaps", "get,list", InIstioSystem, "the injector ConfigMaps (istio-sidecar-injector[-<rev>]): revisions and whether Dikastes is injected; without it that warning is not given"),
        }.Concat(PolicyReads("Envoy's egress to istio-pilot check").Select(r => r with { Need = PermissionNeed.Detection, Reason = r.Reason + "; without it the check is skipped with a warning" }));

        private static IEnumerable<PermissionRule> RestartRules() => new[]
        {
            Rule(Apps, "deployments", "get,list,patch", Targets, "-Restart: rolling restart (restartedAt annotation) of the Deployments that need it; Istio 1.22+: the inject.istio.io/templates annotation"),
            Rule(Apps, "statefulsets", "get,list,patch", Targets, "-Restart: rolling restart of the StatefulSets that need it"),
            Rule(Apps, "daemonsets", "get,list,patch", Targets, "-Restart: rolling restart of the DaemonSets that need it"),
            Rule(Core, "pods", "get,delete", Targets, "-Restart -Force: delete the bare pods that need it (nothing else would recreate them)") with { When = "-Force and bare pods need it" },
        };

        private static IReadOnlyList<PermissionRule> InjectorRules(bool set)
        {
            var list = new List<PermissionRule>
            {
                Rule(Core, "configmaps", "get,create,update", InIstioSystem, set
                    ? "read and replace istio-sidecar-injector (data.config); create (or read) the backup istio-sidecar-injector-calicoalp-backup before the first change"
                    : "read and replace istio-sidecar-injector (data.config); create the backup if none exists; -FromBackup reads it"),
                Detect(Core, "configmaps", "list", InIstioSystem, "find the injector ConfigMap of a revision (istio-sidecar-injector-<rev>); without it the default name is used"),
            };
            if (set)
            {
                list.Add(ControlPlaneRead("the Istio version comes only from the ConfigMap's values"));
                list.Add(CalicoNodeRead("ClusterInformation is read, else -CalicoVersion is needed"));
                list.Add(ClusterInformationRead("-CalicoVersion is needed (when calico-node is not readable either)"));
                list.Add(Detect(Core, "pods", "list", null, "after the change, the running pods in all namespaces that have istio-proxy but no dikastes yet (a warning lists them); without it they are not listed"));
                list.Add(Detect(Core, "nodes", "list", null, "native sidecars 'auto' (Istio 1.27+): the kubelet versions; without it the check is inconclusive (a warning)") with { Istio = "1.27+" });
            }
            return list;
        }

        private static IEnumerable<PermissionRule> EnableRules() =>
FelixWrites("get,create,patch", "set policySyncPathPrefix on FelixConfiguration 'default' (create it if missing)").Concat(new[]
            {
                Rule(CalicoV3, "felixconfigurations", "get,create,patch", null, "the same where projectcalico.org/v3 serves felixconfigurations instead (Calico 3.32 native CRDs, Calico API server); not needed otherwise") with { When = "projectcalico.org/v3 serves felixconfigurations" },
                Rule(IstioNet, "serviceentries", "get,create,update", InIstioSystem, "the authorization service: ServiceEntry 'dikastes'"),
                Rule(IstioNet, "destinationrules", "get,create,update", InIstioSystem, "the authorization service: DestinationRule 'dikastes-mtls'"),
                Rule(IstioNet, "envoyfilters", "get,create,update", InIstioSystem, "the authorization service: EnvoyFilter 'ext-authz' (an existing one of another form is replaced in place, its spec kept for Disable)"),
                Rule("authentication.istio.io", "meshpolicies", "get", null, "mutual TLS check: MeshPolicy 'default'") with { ResourceNames = new[] { "default" }, Istio = "1.0-1.4" },
                Rule("security.istio.io", "peerauthentications", "list", null, "mutual TLS check: the mesh-wide PeerAuthentication and weaker ones below it") with { Istio = "1.5+" },
                ControlPlaneRead("the version comes from the injector ConfigMap's values, else the check fails (or -Force uses the newest method)"),
                Detect(Core, "configmaps", "get", InIstioSystem, "ConfigMaps istio[-<rev>] (meshConfig rootNamespace) and istio-sidecar-injector[-<rev>] (Istio version from values); without it istio-system is taken as the root namespace"),
                CalicoNodeRead("ClusterInformation is read"),
                ClusterInformationRead("the Calico version is unknown (a note; generation checks against Calico are skipped)"),
                Detect(Apps, "daemonsets", "get", InIstioSystem, "ambient check: DaemonSet ztunnel; without it that sign is not checked") with { ResourceNames = new[] { "ztunnel" } },
                Detect(Core, "namespaces", "list", null, "ambient check: namespaces labelled istio.io/dataplane-mode=ambient; without it that sign is not checked"),
                Detect("install.istio.io", "istiooperators", "list", InIstioSystem, "ambient check: IstioOperators with profile ambient (where the CRD exists); without it that sign is not checked"),
            });

        private static IEnumerable<PermissionRule> AllowPilotRules() => new[]
        {
            Rule(Calico, "networkpolicies", "get,create,update", Targets, "create (or update) the Calico NetworkPolicy 'allow-istio-pilot' in each namespace where egress to istio-pilot is blocked"),
        };

        /// <summary>
        /// Get-AlpStatus reads only, and every read is optional: a refused one makes the checks that need it Skipped
        /// (with the refused verb and resource), never an error.
        /// </summary>
        private static IEnumerable<PermissionRule> StatusReads() => new[]
        {
            Detect(Calico, "felixconfigurations", "get", null, "Felix.PolicySyncPathPrefix: FelixConfiguration 'default'; without it that check is Skipped") with { ResourceNames = new[] { "default" } },
            Detect(CalicoV3, "felixconfigurations", "get", null, "the same where projectcalico.org/v3 serves felixconfigurations instead") with { ResourceNames = new[] { "default" }, When = "projectcalico.org/v3 serves felixconfigurations" },
            Detect(IstioNet, "serviceentries", "get", InIstioSystem, "AuthorizationService.Objects: ServiceEntry 'dikastes'; without it that check is Skipped"),
            Detect(IstioNet, "destinationrules", "get", InIstioSystem, "AuthorizationService.Objects: DestinationRule 'dikastes-mtls'"),
            Detect(IstioNet, "envoyfilters", "get", InIstioSystem, "AuthorizationService.Objects: EnvoyFilter 'ext-authz' and its form"),
            Detect("authentication.istio.io", "meshpolicies", "get", null, "MutualTls.MeshWide: MeshPolicy 'default'") with { ResourceNames = new[] { "default" }, Istio = "1.0-1.4" },
            Detect("security.istio.io", "peerauthentications", "list", null, "MutualTls.MeshWide and MutualTls.Overrides: the PeerAuthentications") with { Istio = "1.5+" },
            ControlPlaneRead("Istio.Version falls back to the injector's values and the native-sidecar and pilot-egress checks are Skipped"),
            Detect(Core, "configmaps", "get,list", InIstioSystem, "Injector.Template and Injector.Dikastes: the injector ConfigMap of the revision, meshConfig's root namespace; without it those checks are Skipped"),
            CalicoNodeRead("ClusterInformation is read"),
            ClusterInformationRead("Calico.Version warns that the version is unknown"),
            Detect(Apps, "daemonsets", "get", InIstioSystem, "Istio.Ambient: DaemonSet ztunnel") with { ResourceNames = new[] { "ztunnel" } },
            Detect("install.istio.io", "istiooperators", "list", InIstioSystem, "Istio.Ambient: IstioOperators with profile ambient (where the CRD exists)"),
            Detect(Core, "namespaces", "list", null, "Namespaces.Injection: the namespaces labelled for injection; without it the namespace, workload and pilot-egress checks are Skipped"),
            Detect(Core, "pods", "list", null, "Workloads.Sidecars: the pods of the labelled namespaces (one cluster-wide LIST above 10 namespaces)"),
            Detect(Core, "nodes", "list", null, "Injector.NativeSidecars with ENABLE_NATIVE_SIDECARS auto (Istio 1.27+): the kubelet versions") with { Istio = "1.27+" },
        }.Concat(PolicyReads("PilotEgress.Allowed").Select(r => r with { Need = PermissionNeed.Detection, Reason = r.Reason + "; without it the pilot-egress check is Skipped" }));

        // --- the table ---------------------------------------------------------------------------------------------

        public static IReadOnlyList<CmdletPermissionSet> All { get; } = new List<CmdletPermissionSet>
        {
            new("Enable-CalicoAppLayerPolicy", "Default", "writes FelixConfiguration 'default' and the authorization service (-SkipAuthorizationService: the Felix rule and the reads only)",
                EnableRules().ToList()),

            new("Disable-CalicoAppLayerPolicy", "Default", "deletes the authorization service and restores FelixConfiguration 'default' (-SkipAuthorizationService: the Felix rule only)",
                FelixWrites("get,patch", "restore the previous policySyncPathPrefix of FelixConfiguration 'default'").Concat(new[]
                {
                    Rule(CalicoV3, "felixconfigurations", "get,patch", null, "the same where projectcalico.org/v3 serves felixconfigurations instead; not needed otherwise") with { ResourceNames = new[] { "default" }, When = "projectcalico.org/v3 serves felixconfigurations" },
                    Rule(IstioNet, "serviceentries", "get,delete", InIstioSystem, "delete ServiceEntry 'dikastes'") with { ResourceNames = new[] { "dikastes" } },
                    Rule(IstioNet, "destinationrules", "get,delete", InIstioSystem, "delete DestinationRule 'dikastes-mtls'") with { ResourceNames = new[] { "dikastes-mtls" } },
                    Rule(IstioNet, "envoyfilters", "get,delete,update", InIstioSystem, "delete EnvoyFilter 'ext-authz', or put back the spec Enable replaced in place") with { ResourceNames = new[] { "ext-authz" } },
                }).ToList()),

            new("Set-IstioInjectorPatch", "Live", "edits the injector ConfigMap in the cluster (the default parameter set)", InjectorRules(set: true)),
            new("Set-IstioInjectorPatch", "Offline", "-Path/-OutFile or -OverlayFormat: files only, no cluster access", Array.Empty<PermissionRule>()),
            new("Remove-IstioInjectorPatch", "Live", "edits the injector ConfigMap in the cluster (the default parameter set)", InjectorRules(set: false)),
            new("Remove-IstioInjectorPatch", "Offline", "-Path/-OutFile: files only, no cluster access", Array.Empty<PermissionRule>()),

            new("Add-AlpNamespace", "Default", "labels the namespaces", NamespaceBase(add: true).Concat(AddDetection()).ToList()),
            new("Add-AlpNamespace", "Restart", "-Restart: also restarts the workloads that need it", RestartRules().ToList()),
            new("Add-AlpNamespace", "AllowIstioPilot", "-AllowIstioPilot: also creates Calico's allow-istio-pilot policy where Envoy's egress to istio-pilot is blocked", AllowPilotRules().ToList()),
            new("Remove-AlpNamespace", "Default", "removes the label from the namespaces", NamespaceBase(add: false).ToList()),
            new("Remove-AlpNamespace", "Restart", "-Restart: also restarts the workloads that still have the sidecars", RestartRules().ToList()),

            new("Test-AlpRequest", "Cluster", "policy read from the cluster (no -PolicyPath)", PolicyReads("the policy to evaluate").Append(
                Rule(Core, "pods", "get", null, "the pod's namespace, service account, labels and IP") with { When = "-Source/-Destination given as <namespace>/<pod>" })
                .ToList()),
            new("Test-AlpRequest", "Files", "-PolicyPath: files only, no cluster access", Array.Empty<PermissionRule>()),
            new("Compare-AlpPolicy", "Cluster", "the reference policy read from the cluster (no -ReferencePolicyPath)", PolicyReads("the reference policy").ToList()),
            new("Compare-AlpPolicy", "Files", "-ReferencePolicyPath: files only, no cluster access", Array.Empty<PermissionRule>()),

            new("Get-AlpStatus", "Default", "reads only; a refused read makes the checks that need it Skipped", StatusReads().ToList()),
            new("Repair-AlpSetup", "Default", "the steps of Enable-CalicoAppLayerPolicy, Set-IstioInjectorPatch (live) and Add-AlpNamespace -Restart / -AllowIstioPilot that the piped checks ask for (each step needs only its own rules)",
                EnableRules().Concat(InjectorRules(set: true)).Concat(NamespaceBase(add: true)).Concat(RestartRules()).Concat(AllowPilotRules()).ToList()),
        };

        /// <summary>The commands in the table, in table order.</summary>
        public static IReadOnlyList<string> Commands => All.Select(s => s.Command).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

        /// <summary>The rows of a command (case-insensitive), in table order; empty when it has none.</summary>
        public static IReadOnlyList<CmdletPermissionSet> For(string command) =>
            All.Where(s => string.Equals(s.Command, command, StringComparison.OrdinalIgnoreCase)).ToList();

        /// <summary>
        /// The rules of a command in one mode as they are granted: the mode's own rules plus, for a switch mode
        /// (anything but the parameter sets Default, Live, Cluster), the command's Default rules it builds on.
        /// </summary>
        public static IReadOnlyList<PermissionRule> Effective(string command, string mode)
        {
            var rows = For(command);
            var row = rows.FirstOrDefault(r => string.Equals(r.Mode, mode, StringComparison.OrdinalIgnoreCase))
                      ?? throw new ArgumentException($"{command} has no mode '{mode}'.", nameof(mode));
            var baseRow = rows.FirstOrDefault(r => r.Mode == "Default");
            return baseRow == null || ReferenceEquals(baseRow, row) ? row.Rules : baseRow.Rules.Concat(row.Rules).ToList();
        }
    }
}
