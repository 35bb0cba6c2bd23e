using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Changes;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Injector
{
    /// <summary>
    /// Live mode of Set-/Remove-IstioInjectorPatch: plan the edit of the injector ConfigMap (reads only), then the
    /// <see cref="ChangeRunner"/> confirms, validates (server-side dry run of the backup and the ConfigMap) and writes.
    /// </summary>
    public static class InjectorLive
    {
        /// <summary>
        /// Plans the change. For Set without options, the Calico version comes from the cluster (calico-node image or
        /// ClusterInformation) and the image is calico/dikastes:v&lt;version&gt;.
        /// </summary>
        public static async Task<InjectorLivePlan> PlanAsync(KubeApi api, InjectorLiveMode mode, string? calicoVersion, string? image, string? istioVersion,
            CancellationToken ct, string ns = InjectorConfigMapIntent.DefaultNamespace, string? revision = null, bool force = false)
        {
            var name = await InjectorRevision.ResolveAsync(api, ns, revision, ct).ConfigureAwait(false);
            revision = InjectorRevision.RevisionOf(name);
            DikastesSidecarOptions? options = null;
            string? source = null;
            if (mode == InjectorLiveMode.Set)
            {
                if (string.IsNullOrWhiteSpace(calicoVersion) && !ComponentVersion.TryParse(ComponentVersion.TagOf(image), out _))
                {
                    var notes = new List<string>();
                    var (detected, from) = await PrerequisiteChecker.DetectCalicoVersionAsync(api, notes, ct).ConfigureAwait(false);
                    foreach (var n in notes) api.Log.Verbose(n);
                    calicoVersion = detected ?? throw new AlpException("CalicoVersionUnknown", AlpErrorKind.NotInstalled,
                        $"The Calico version of context '{api.ContextName}' could not be determined (no readable calico-node DaemonSet or ClusterInformation).", api.ContextName)
                    { RecommendedAction = "Pass -CalicoVersion (and -DikastesImage for a private registry)." };
                    source = from;
                }
                options = DikastesSidecarOptions.From(calicoVersion, image);
                source ??= string.IsNullOrWhiteSpace(calicoVersion) ? "-DikastesImage tag" : "-CalicoVersion";
            }
            // The revision's control plane: its image names the release when the ConfigMap's values do not, and for
            // Istio 1.22+ its env says whether native sidecars are on.
            IstioControlPlane? istiod = null;
            if (mode == InjectorLiveMode.Set)
            {
                var notes = new List<string>();
                var planes = await IstioControlPlane.FindAsync(api, ns, notes, ct).ConfigureAwait(false);
                foreach (var n in notes) api.Log.Verbose(n);
                istiod = planes.FirstOrDefault(p => p.Revision == (revision ?? IstioControlPlane.DefaultRevision));
            }
            var fallback = istiod?.Version?.ToString();
            var intent = new InjectorConfigMapIntent(mode, options, istioVersion, ns, name, force) { IstioFallback = fallback };
            var plan = await intent.PlanAsync(api, ct).ConfigureAwait(false);
            if (mode == InjectorLiveMode.Set && plan.Action == ChangeAction.Updated && plan.Payload!.Edit.IstioVersion.Minor is { } minor && DikastesTemplates.AppliesTo(plan.Payload.Edit.IstioVersion))
            {
                await CheckTemplatesMethodAsync(api, plan.Current, minor, istiod, ns, revision, force, ct).ConfigureAwait(false);
            }
            return new InjectorLivePlan(plan, options, source);
        }

        public const string ManagedErrorId = "InjectorManagedByInstaller";

        /// <summary>
        /// Istio 1.22+: the dikastes templates need native sidecars, and a ConfigMap rendered by istioctl/the operator or
        /// Helm loses a live edit on the next install or upgrade. Both refuse without <paramref name="force"/> (then warn).
        /// </summary>
        private static async Task CheckTemplatesMethodAsync(KubeApi api, System.Text.Json.Nodes.JsonObject? current, ComponentVersion istio, IstioControlPlane? istiod,
            string ns, string? revision, bool force, CancellationToken ct)
        {
            var (manager, detail) = InstallManager.Of(current);
            if (manager != InstallManagerKind.None)
            {
                var what = manager == InstallManagerKind.Helm ? "Helm" : "istioctl or the Istio operator";
                var message = $"The injector ConfigMap on context '{api.ContextName}' is rendered by {what} ({detail}): the next install or upgrade replaces it and drops the dikastes templates.";
                if (!force)
                {
                    throw new AlpException(ManagedErrorId, AlpErrorKind.InvalidOperation, message, api.ContextName)
                    {
                        RecommendedAction = $"Put the templates into the install instead: Set-IstioInjectorPatch -OverlayFormat {(manager == InstallManagerKind.Helm ? "HelmValues" : "IstioOperator")} -OutFile dikastes-overlay.yaml, " +
                                            "then install with it (istioctl install -f your-operator.yaml -f dikastes-overlay.yaml, or helm upgrade istiod -f dikastes-overlay.yaml); or use -Force to edit the ConfigMap anyway.",
                    };
                }
                api.Log.Warning(message + " (-Force: edited anyway.)");
            }
            var native = await NativeSidecarCheck.CheckAsync(api, istio, istiod, ns, revision, ct).ConfigureAwait(false);
            api.Log.Verbose($"Native sidecars: {(native.Enabled is bool b ? (b ? "on" : "off") : "unknown")} ({native.Reason}).");
            if (native.Enabled == false)
            {
                var refusal = NativeSidecarCheck.Refusal(api.ContextName, native);
                if (!force) throw refusal;
                api.Log.Warning(refusal.Message + " (-Force: templates added anyway.)");
            }
            else if (native.Enabled == null)
            {
                api.Log.Warning($"Could not tell whether native sidecars are on ({native.Reason}); Calico's dikastes templates need them (istio-proxy as an init container).");
            }
        }

        /// <summary>
        /// Plans and runs the change; returns the result, or null when the change was declined or (-WhatIf) refused by
        /// the API server (the refusal is reported through the gate). After a Set it lists the pods still without dikastes.
        /// </summary>
        public static async Task<InjectorPatchResult?> ChangeAsync(ChangeRunner runner, InjectorLiveMode mode, string? calicoVersion, string? image, string? istioVersion,
            bool showDiff, CancellationToken ct, string ns = InjectorConfigMapIntent.DefaultNamespace, string? revision = null,
            bool force = false)
        {
            var api = runner.Api;
            var live = await PlanAsync(api, mode, calicoVersion, image, istioVersion, ct, ns, revision, force).ConfigureAwait(false);
            var edit = live.Edit;
            api.Log.Verbose($"{live.Plan.Intent.Display} on '{api.ContextName}': Istio {edit.IstioVersion}; dikastes before: {edit.StateBefore.Image ?? "none"}" +
                            (live.Options != null ? $"; Calico {live.Options.CalicoVersion} ({live.CalicoVersionSource}), image {live.Options.Image}" : "") + $"; {edit.Action}.");
            var outcome = (await runner.ApplyAsync(new[] { live.Plan }, ct).ConfigureAwait(false))[0];
            if (!outcome.Reported) return null;
            IReadOnlyList<string>? pods = null;
            if (mode == InjectorLiveMode.Set && outcome.Status == ChangeStatus.Applied)
            {
                try
                {
                    pods = await PodsWithoutDikastesAsync(api, ct).ConfigureAwait(false);
                }
                catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
                {
                    // The change is made: a user who may edit the injector but not list pods gets the result, not an error.
                    api.Log.Warning($"The pods still without dikastes were not listed: {ex.Message}");
                }
                if (pods is { Count: > 0 })
                {
                    api.Log.Warning($"{pods.Count} running pod(s) have istio-proxy but no dikastes; they get it when recreated: {string.Join(", ", pods.Take(20))}{(pods.Count > 20 ? ", ..." : "")}");
                }
            }
            // A previewed change carries the diff the confirmation showed.
            return ToResult(api, outcome, live.Options, showDiff || outcome.Status == ChangeStatus.Previewed, pods);
        }

        /// <summary>The result for one outcome (built once).</summary>
        public static InjectorPatchResult ToResult(KubeApi api, ChangeOutcome<InjectorConfigChange> outcome, DikastesSidecarOptions? options, bool showDiff, IReadOnlyList<string>? podsWithoutDikastes)
        {
            var plan = outcome.Plan;
            var payload = plan.Payload!;
            var edit = payload.Edit;
            return new InjectorPatchResult(api.ContextName, $"{plan.Intent.Namespace}/{plan.Intent.Name}", edit.Action, edit.IstioVersion)
            {
                Kubeconfig = api.Kubeconfig,
                CalicoVersion = options?.CalicoVersion.ToString(),
                Image = options?.Image,
                PreviousImage = edit.StateBefore.Image,
                BackupName = payload.BackupName,
                ReplacedCustomizations = edit.ReplacedCustomizations,
                BackupKey = payload.BackupKey,
                Diff = showDiff ? payload.Diff : null,
                WhatIf = outcome.Preview,
                ResourceVersion = outcome.ResourceVersion,
                Message = plan.Message,
                PodsWithoutDikastes = podsWithoutDikastes,
            };
        }

        /// <summary>Pods (namespace/name), not finished, that have istio-proxy but no dikastes: injected before the patch, to be recreated.</summary>
        public static async Task<IReadOnlyList<string>> PodsWithoutDikastesAsync(KubeApi api, CancellationToken ct)
        {
            var pods = await api.ListAsync(ResourceType.Pod, null, null, "status.phase!=Succeeded,status.phase!=Failed", ct).ConfigureAwait(false);
            var result = new List<string>();
            foreach (var pod in pods)
            {
                if (Namespaces.WorkloadInventory.MissingSidecar(pod) == Results.SidecarGap.NoDikastes)
                {
                    result.Add($"{JsonFields.GetString(pod, "metadata", "namespace")}/{JsonFields.GetString(pod, "metadata", "name")}");
                }
            }
            result.Sort(StringComparer.Ordinal);
            return result;
        }
    }
}
