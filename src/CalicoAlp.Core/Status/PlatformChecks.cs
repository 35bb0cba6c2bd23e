using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Changes;
using CalicoAlp.Core.Generations;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Status
{
    /// <summary>
    /// Calico (present, datastore, version), Felix's policy-sync prefix, Istio (version, generation, revisions,
    /// ambient) and mutual TLS, from <see cref="PrerequisiteChecker"/>'s report and the plan of Enable's Felix intent
    /// (a check passes exactly when Enable-CalicoAppLayerPolicy would leave the object as it is).
    /// </summary>
    internal static class PlatformChecks
    {
        public static void Calico(StatusReport report, PrerequisiteReport prerequisites)
        {
            if (!prerequisites.CalicoFound)
            {
                report.Add("Calico", "Calico.Datastore", AlpCheckStatus.Fail,
                    "Calico in Kubernetes-datastore mode not found: neither crd.projectcalico.org/v1 nor projectcalico.org/v3 serves felixconfigurations.",
                    fix: "Install Calico with the Kubernetes datastore (with the etcd datastore, configure Felix with calicoctl).",
                    detail: "CalicoAlp reads and writes Calico's configuration through the Kubernetes API; with the etcd datastore none of it is visible there.");
                report.Add("Calico", "Calico.Version", AlpCheckStatus.Skipped, "Not checked: Calico was not found.");
                return;
            }
            var type = prerequisites.FelixConfigurationType!;
            report.Add("Calico", "Calico.Datastore", AlpCheckStatus.Pass,
                type.Group == ResourceType.CalicoV3Group
                    ? "Calico found: FelixConfiguration served by projectcalico.org/v3 (Calico's API server or native v3 CRDs)."
                    : "Calico found: Kubernetes datastore (FelixConfiguration in crd.projectcalico.org/v1).",
                new[] { $"CustomResourceDefinition felixconfigurations.{type.Group}" });

            if (!ComponentVersion.TryParse(prerequisites.CalicoVersion, out var calico))
            {
                report.Add("Calico", "Calico.Version", AlpCheckStatus.Warn,
                    "The Calico version could not be read (no readable calico-node DaemonSet in kube-system or calico-system, no ClusterInformation): the Dikastes image cannot be matched to it.",
                    fix: "Pass -CalicoVersion to Set-IstioInjectorPatch.");
                return;
            }
            var source = new[] { prerequisites.CalicoVersionSource ?? "" }.Where(s => s.Length > 0).ToList();
            if (calico < CalicoRelease.Minimum)
            {
                report.Add("Calico", "Calico.Version", AlpCheckStatus.Fail,
                    $"Calico {calico} is older than {CalicoRelease.Minimum.Major}.{CalicoRelease.Minimum.Minor}: its manifests lack the policy-sync volume driver ALP needs.", source,
                    fix: $"Upgrade Calico to {CalicoRelease.Minimum.Major}.{CalicoRelease.Minimum.Minor} or later.");
            }
            else if (calico >= CalicoRelease.NoDikastesImageSince)
            {
                report.Add("Calico", "Calico.Version", AlpCheckStatus.Warn,
                    $"Calico {calico}: from {CalicoRelease.NoDikastesImageSince.Major}.{CalicoRelease.NoDikastesImageSince.Minor} Calico builds no standalone Dikastes image (it is 'calico component dikastes' in quay.io/calico/calico), and no Calico release documents ALP for it.", source,
                    fix: report.Command("Set-IstioInjectorPatch", "-DikastesImage '<your dikastes image>'", revision: true));
            }
            else
            {
                report.Add("Calico", "Calico.Version", AlpCheckStatus.Pass,
                    $"Calico {calico} (Dikastes image {CalicoRelease.DefaultImage(calico)}, felix-sync volume {CalicoRelease.FelixSync(calico)}).", source);
            }
        }

        public static async Task FelixAsync(StatusReport report, KubeApi api, PrerequisiteReport prerequisites, CancellationToken ct)
        {
            if (!prerequisites.CalicoFound)
            {
                report.Add("Felix", "Felix.PolicySyncPathPrefix", AlpCheckStatus.Skipped, "Not checked: Calico was not found.");
                return;
            }
            var intent = FelixPolicySyncIntent.Enable(AlpConstants.DefaultPolicySyncPathPrefix, prerequisites.FelixConfigurationType);
            var plan = await intent.PlanAsync(api, ct).ConfigureAwait(false);
            var target = new[] { $"FelixConfiguration {AlpConstants.FelixConfigurationName}" };
            var fix = report.Command("Enable-CalicoAppLayerPolicy", "-SkipAuthorizationService");
            var current = Json.JsonFields.GetString(plan.Current, "spec", "policySyncPathPrefix");
            switch (plan.Action)
            {
                case ChangeAction.Unchanged:
                    report.Add("Felix", "Felix.PolicySyncPathPrefix", AlpCheckStatus.Pass, $"policySyncPathPrefix is {AlpConstants.DefaultPolicySyncPathPrefix}: Felix serves policy sync to Dikastes.", target);
                    break;
                case ChangeAction.Created:
                    report.Add("Felix", "Felix.PolicySyncPathPrefix", AlpCheckStatus.Fail,
                        "FelixConfiguration 'default' does not exist (calico/node creates it at start-up): policy sync is off, Dikastes has no socket to read policy from.", target, fix, AlpRepairKind.FelixPolicySync);
                    break;
                case ChangeAction.Updated when !string.IsNullOrEmpty(current):
                    report.Add("Felix", "Felix.PolicySyncPathPrefix", AlpCheckStatus.Warn,
                        $"policySyncPathPrefix is '{current}', not {AlpConstants.DefaultPolicySyncPathPrefix}, the path the flexVolume/CSI driver serves: Dikastes finds Felix's socket only if the driver was configured to match.", target, fix);
                    break;
                default:
                    report.Add("Felix", "Felix.PolicySyncPathPrefix", AlpCheckStatus.Fail,
                        "policySyncPathPrefix is not set: Felix serves no policy sync, so Dikastes cannot get policy and every request it checks is refused.", target, fix, AlpRepairKind.FelixPolicySync);
                    break;
            }
        }

        public static void Istio(StatusReport report, PrerequisiteReport prerequisites)
        {
            if (!prerequisites.IstioFound)
            {
                report.Add("Istio", "Istio.Version", AlpCheckStatus.Fail,
                    "Istio not found: networking.istio.io/v1alpha3 is not served. CalicoAlp never installs Istio.",
                    fix: "Install Istio (with sidecar injection and mutual TLS); see docs/compatibility.md for the releases Calico documents.");
                return;
            }
            var generation = prerequisites.Generation;
            var objects = new[] { prerequisites.IstioVersionSource ?? "" }.Where(s => s.Length > 0).ToList();
            if (!ComponentVersion.TryParse(prerequisites.IstioVersion, out var istio) || generation == null)
            {
                report.Add("Istio", "Istio.Version", AlpCheckStatus.Warn,
                    "The Istio version could not be read (no istiod/istio-pilot Deployment image or injector values.global.tag): the generation is guessed" +
                    (generation != null ? $" as {generation}." : "."), objects,
                    fix: "Pass -IstioVersion to Set-IstioInjectorPatch.");
            }
            else
            {
                var (problems, notes) = ComponentVersion.TryParse(prerequisites.CalicoVersion, out var calico)
                    ? generation.CheckWith(calico)
                    : (generation.Refusal != null ? new[] { generation.Refusal } : System.Array.Empty<string>(), System.Array.Empty<string>());
                if (problems.Count > 0)
                {
                    report.Add("Istio", "Istio.Version", AlpCheckStatus.Fail, $"Istio {istio}: {string.Join(" ", problems)}", objects,
                        fix: "Use an Istio release Calico documents with this Calico (docs/compatibility.md).");
                }
                else if (!generation.Documented || notes.Count > 0)
                {
                    var outside = istio > IstioGeneration.NewestDocumented && istio.Minor > IstioGeneration.NewestDocumented.Minor
                        ? $"Istio {istio} is newer than any release Calico documents ({IstioGeneration.NewestDocumented.Major}.{IstioGeneration.NewestDocumented.Minor}). " : "";
                    report.Add("Istio", "Istio.Version", AlpCheckStatus.Warn, $"{outside}{generation}. {string.Join(" ", notes)}".Trim(), objects,
                        fix: "Prefer an Istio release Calico documents with this Calico (docs/compatibility.md).");
                }
                else
                {
                    report.Add("Istio", "Istio.Version", AlpCheckStatus.Pass, $"{generation}: documented by Calico ({generation.CalicoInjectorFile}, {generation.CalicoFilterFile}).", objects);
                }
            }

            if (prerequisites.IstioRevisions.Count > 1)
            {
                report.Add("Istio", "Istio.Revision", AlpCheckStatus.Warn,
                    $"{prerequisites.IstioRevisions.Count} control planes: {string.Join("; ", prerequisites.IstioRevisions)}. Checked revision '{prerequisites.IstioRevision}'; the authorization service is mesh-wide, so every revision's injector must inject Dikastes.",
                    fix: "Run Get-AlpStatus -Revision <rev> for each revision.");
            }
            else
            {
                report.Add("Istio", "Istio.Revision", AlpCheckStatus.Pass,
                    prerequisites.IstioRevisions.Count == 1 ? $"One control plane: {prerequisites.IstioRevisions[0]}." : "No istiod/istio-pilot Deployment was found in istio-system (version taken from the injector).");
            }

            if (prerequisites.Ambient)
            {
                report.Add("Istio", "Istio.Ambient", AlpCheckStatus.Fail,
                    $"Istio runs in ambient mode ({string.Join("; ", prerequisites.AmbientSigns)}): ambient workloads have no sidecar for Dikastes to sit beside, so ALP never sees their requests.",
                    fix: "Use sidecar mode (namespace label istio-injection=enabled) for the workloads ALP should guard.");
            }
            else
            {
                report.Add("Istio", "Istio.Ambient", AlpCheckStatus.Pass, "No sign of ambient mode: workloads get sidecars.");
            }
        }

        public static void MutualTls(StatusReport report, PrerequisiteReport prerequisites)
        {
            if (!prerequisites.IstioFound)
            {
                report.Add("MutualTls", "MutualTls.MeshWide", AlpCheckStatus.Skipped, "Not checked: Istio was not found.");
                return;
            }
            var meshPolicy = prerequisites.Generation?.MutualTls == MutualTlsApi.MeshPolicy;
            var manual = meshPolicy
                ? "Install Istio with values.global.mtls.enabled=true (a MeshPolicy 'default' with an mtls peer)."
                : "'{\"apiVersion\":\"security.istio.io/v1beta1\",\"kind\":\"PeerAuthentication\",\"metadata\":{\"name\":\"default-strict-mode\",\"namespace\":\"" +
                  (prerequisites.MutualTlsRootNamespace ?? AlpConstants.IstioNamespace) + "\"},\"spec\":{\"mtls\":{\"mode\":\"STRICT\"}}}' | kubectl apply -f -";
            var objects = new[] { prerequisites.MutualTlsSource ?? "" }.Where(s => s.Length > 0).ToList();
            if (!prerequisites.MutualTls)
            {
                report.Add("MutualTls", "MutualTls.MeshWide", AlpCheckStatus.Fail,
                    meshPolicy ? "Mutual TLS is not enabled (no MeshPolicy 'default' with an mtls peer): Dikastes can only use IP-based identity."
                               : $"Mutual TLS is not enabled mesh-wide (no PeerAuthentication without a selector in '{prerequisites.MutualTlsRootNamespace}'): Dikastes can only use IP-based identity.",
                    objects, manual, detail: "CalicoAlp detects mutual TLS but never installs it: it is the mesh's configuration.");
            }
            else if (prerequisites.MutualTlsMode == "PERMISSIVE")
            {
                report.Add("MutualTls", "MutualTls.MeshWide", AlpCheckStatus.Warn,
                    $"Mutual TLS is PERMISSIVE ({prerequisites.MutualTlsSource}): plaintext requests are still accepted, and for them Dikastes falls back to IP-based identity.", objects, manual);
            }
            else
            {
                report.Add("MutualTls", "MutualTls.MeshWide", AlpCheckStatus.Pass, $"Mutual TLS {prerequisites.MutualTlsMode ?? "on"} ({prerequisites.MutualTlsSource}).", objects);
            }
            if (prerequisites.MutualTlsOverrides.Count > 0)
            {
                report.Add("MutualTls", "MutualTls.Overrides", AlpCheckStatus.Warn,
                    $"{prerequisites.MutualTlsOverrides.Count} PeerAuthentication(s) weaken the mesh-wide mode: {string.Join("; ", prerequisites.MutualTlsOverrides.Take(5))}{(prerequisites.MutualTlsOverrides.Count > 5 ? "; ..." : "")}. Dikastes falls back to IP-based identity for plaintext requests there.",
                    prerequisites.MutualTlsOverrides.ToList(), "Set mode STRICT (or remove the override) in those PeerAuthentications.");
            }
            else if (prerequisites.MutualTls)
            {
                report.Add("MutualTls", "MutualTls.Overrides", AlpCheckStatus.Pass, "No namespace or workload weakens the mesh-wide mode.");
            }
        }
    }
}
