using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Changes;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Generations;
using CalicoAlp.Core.Injector;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Status
{
    /// <summary>
    /// The revision's sidecar injector: its template recognised, Dikastes injected with the image of the cluster's
    /// Calico and the felix-sync volume kind of that Calico (the verdict is Set-IstioInjectorPatch's own plan: Pass
    /// exactly when it would change nothing), native sidecars where the Istio 1.22+ templates need them, and a warning
    /// when an installer renders the ConfigMap again.
    /// </summary>
    internal static class InjectorChecks
    {
        public static async Task RunAsync(StatusReport report, KubeApi api, PrerequisiteReport prerequisites, IstioControlPlane? plane, CancellationToken ct)
        {
            if (!prerequisites.IstioFound)
            {
                report.Add("Injector", "Injector.Template", AlpCheckStatus.Skipped, "Not checked: Istio was not found.");
                return;
            }
            var revision = prerequisites.IstioRevision;
            var ns = AlpConstants.IstioNamespace;
            var name = InjectorRevision.ConfigMapName(revision);
            var target = new[] { $"ConfigMap {ns}/{name}" };
            var configMap = await api.GetAsync(ResourceType.ConfigMap, ns, name, ct).ConfigureAwait(false);
            var config = JsonFields.GetString(configMap, "data", "config");
            if (configMap == null || config == null)
            {
                report.Add("Injector", "Injector.Template", AlpCheckStatus.Fail,
                    configMap == null ? $"The sidecar injector ConfigMap {ns}/{name} was not found: Istio injects no sidecars for revision '{revision ?? "default"}'."
                                      : $"ConfigMap {ns}/{name} has no data.config.", target,
                    "Install Istio with sidecar injection (CalicoAlp never installs Istio).");
                report.Add("Injector", "Injector.Dikastes", AlpCheckStatus.Skipped, "Not checked: no injector template.");
                return;
            }
            InjectorPatchState state;
            try
            {
                state = InjectorTemplateEditor.Inspect(config);
                report.Add("Injector", "Injector.Template", AlpCheckStatus.Pass,
                    $"Template recognised ({state.Templates} template{(state.Templates == 1 ? "" : "s")}{(DikastesTemplates.IsPresent(config) ? ", dikastes templates" : "")}).", target);
            }
            catch (AlpException ex)
            {
                report.Add("Injector", "Injector.Template", AlpCheckStatus.Fail, $"The injector template is not one CalicoAlp can edit: {ex.Message}", target,
                    "Compare the template with Istio's stock injector of the same release; see docs/troubleshooting.md.");
                report.Add("Injector", "Injector.Dikastes", AlpCheckStatus.Skipped, "Not checked: the template is not recognised.");
                return;
            }

            await DikastesAsync(report, api, prerequisites, state, target, ct).ConfigureAwait(false);
            await NativeSidecarsAsync(report, api, prerequisites, plane, ct).ConfigureAwait(false);

            if (prerequisites.Generation?.Layout == InjectorLayout.DikastesTemplates && InstallManager.Of(configMap) is { Kind: not InstallManagerKind.None } manager)
            {
                report.Add("Injector", "Injector.Installer", AlpCheckStatus.Warn,
                    $"The injector ConfigMap is rendered by {(manager.Kind == InstallManagerKind.Helm ? "Helm" : "istioctl or the Istio operator")} ({manager.Detail}): the next install or upgrade drops a live edit of the templates.", target,
                    report.Command("Set-IstioInjectorPatch", $"-OutFile dikastes-overlay.yaml -OverlayFormat {(manager.Kind == InstallManagerKind.Helm ? "HelmValues" : "IstioOperator")}", revision: true));
            }
        }

        private static async Task DikastesAsync(StatusReport report, KubeApi api, PrerequisiteReport prerequisites, InjectorPatchState state, string[] target, CancellationToken ct)
        {
            var fix = report.Command("Set-IstioInjectorPatch", revision: true);
            if (!ComponentVersion.TryParse(prerequisites.CalicoVersion, out var calico))
            {
                report.Add("Injector", "Injector.Dikastes", state.IsCompletelyPatched ? AlpCheckStatus.Warn : AlpCheckStatus.Fail,
                    state.IsCompletelyPatched
                        ? $"Dikastes {state.Image} is injected, but the Calico version is unknown, so its match with calico-node cannot be checked."
                        : "The injector does not inject Dikastes.", target,
                    report.Command("Set-IstioInjectorPatch", "-CalicoVersion <calico-node version>", revision: true));
                return;
            }
            string expectedImage;
            try
            {
                expectedImage = CalicoRelease.DefaultImage(calico);
            }
            catch (AlpException)
            {
                report.Add("Injector", "Injector.Dikastes", state.DikastesContainers > 0 ? AlpCheckStatus.Warn : AlpCheckStatus.Fail,
                    state.DikastesContainers > 0
                        ? $"Dikastes {state.Image} is injected; Calico {calico} has no standalone Dikastes image to compare it with."
                        : $"The injector does not inject Dikastes, and Calico {calico} has no standalone Dikastes image.", target,
                    report.Command("Set-IstioInjectorPatch", "-DikastesImage '<your dikastes image>'", revision: true));
                return;
            }
            var expectedVolume = CalicoRelease.FelixSync(calico);
            bool unchanged;
            string? planMessage = null;
            try
            {
                var plan = await InjectorLive.PlanAsync(api, InjectorLiveMode.Set, calico.ToString(), null, null, ct,
                    AlpConstants.IstioNamespace, prerequisites.IstioRevision, force: false).ConfigureAwait(false);
                unchanged = plan.Plan.Action == ChangeAction.Unchanged;
                planMessage = plan.Plan.Message;
            }
            catch (AlpException ex) when (ex.ErrorId is InjectorLive.ManagedErrorId or NativeSidecarCheck.ErrorId)
            {
                unchanged = false; // Set would write (the refusal is about how); the installer and native-sidecar checks say why.
            }
            catch (AlpException ex) when (ex.ErrorId == DikastesCustomization.ErrorId)
            {
                report.Add("Injector", "Injector.Dikastes", AlpCheckStatus.Warn,
                    $"Dikastes is injected with customisations CalicoAlp does not write: {ex.Message}", target,
                    report.Command("Set-IstioInjectorPatch", "-Force", revision: true));
                return;
            }
            if (unchanged)
            {
                report.Add("Injector", "Injector.Dikastes", AlpCheckStatus.Pass,
                    $"Dikastes {state.Image} matches calico-node {calico}; felix-sync volume {state.FelixSync}.", target);
                return;
            }
            string message;
            if (state.DikastesContainers == 0)
            {
                message = "The injector does not inject Dikastes: new pods get Envoy without Dikastes, and with the mesh-wide ext-authz filter their inbound requests fail.";
            }
            else if (state.Image != null && state.Image != expectedImage)
            {
                message = $"Dikastes image {state.Image} does not match calico-node {calico} (expected {expectedImage}): version skew breaks the policy-sync socket (projectcalico/calico#2799).";
            }
            else if (state.FelixSync != null && state.FelixSync != expectedVolume)
            {
                message = $"The felix-sync volume is {state.FelixSync}, but Calico {calico} serves policy sync through {expectedVolume} (CSI from Calico 3.23, flexVolume before).";
            }
            else if (!state.IsCompletelyPatched)
            {
                message = $"The injector's Calico additions are incomplete or duplicated (dikastes containers {state.DikastesContainers}, istio-proxy mounts {state.ProxyMounts}, socket volumes {state.SocketVolumes}, felix-sync volumes {state.FelixSyncVolumes} over {state.Templates} template(s)).";
            }
            else
            {
                message = $"The injected Dikastes differs from what Set-IstioInjectorPatch writes for Calico {calico}{(planMessage != null ? ": " + planMessage : ".")}";
            }
            report.Add("Injector", "Injector.Dikastes", AlpCheckStatus.Fail, message, target, fix, AlpRepairKind.InjectorPatch);
        }

        private static async Task NativeSidecarsAsync(StatusReport report, KubeApi api, PrerequisiteReport prerequisites, IstioControlPlane? plane, CancellationToken ct)
        {
            if (prerequisites.Generation?.Layout != InjectorLayout.DikastesTemplates || !ComponentVersion.TryParse(prerequisites.IstioVersion, out var istio))
            {
                report.Add("Injector", "Injector.NativeSidecars", AlpCheckStatus.NotApplicable,
                    "Native sidecars matter only to the Istio 1.22+ dikastes templates.");
                return;
            }
            var status = await NativeSidecarCheck.CheckAsync(api, istio, plane, AlpConstants.IstioNamespace, prerequisites.IstioRevision, ct).ConfigureAwait(false);
            var objects = plane != null ? new[] { $"Deployment {AlpConstants.IstioNamespace}/{plane.Deployment}" } : null;
            report.Add("Injector", "Injector.NativeSidecars", status.Enabled switch { true => AlpCheckStatus.Pass, false => AlpCheckStatus.Fail, _ => AlpCheckStatus.Warn },
                status.Enabled == true ? $"Native sidecars are on: {status.Reason}."
                : $"Calico's dikastes templates need native sidecars (istio-proxy as an init container): {status.Reason}. Pods injected with 'sidecar,dikastes' would be invalid.",
                objects, $"istioctl install --set values.pilot.env.{NativeSidecarCheck.EnvName}=true (or the Helm value pilot.env.{NativeSidecarCheck.EnvName}=true; kubelets 1.29+)");
        }
    }
}
