using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Core.Injector
{
    /// <summary>
    /// Whether istiod injects istio-proxy as a native sidecar (an init container with restartPolicy Always), which
    /// Calico's dikastes templates require: they add the dikastes-sock mount to an init container named istio-proxy
    /// (generations spec §5). Istio 1.19-1.26 decide by istiod's env <c>ENABLE_NATIVE_SIDECARS</c> (default false);
    /// from 1.27 the default is auto: on only when every node's kubelet is 1.33 or newer.
    /// </summary>
    public static class NativeSidecarCheck
    {
        public const string ErrorId = "NativeSidecarsOff";
        public const string EnvName = "ENABLE_NATIVE_SIDECARS";
        public static readonly ComponentVersion AutoSince = new(1, 27, 0);
        public static readonly ComponentVersion AutoKubeletMinimum = new(1, 33, 0);

        /// <summary>Enabled: true/false, or null when it cannot be told (istiod or nodes unreadable); Reason says why.</summary>
        public sealed record Status(bool? Enabled, string Reason);

        /// <param name="istiod">The revision's control plane (<see cref="IstioControlPlane.FindAsync"/>), null when none was found or readable.</param>
        public static async Task<Status> CheckAsync(KubeApi api, ComponentVersion istio, IstioControlPlane? istiod, string ns, string? revision, CancellationToken ct)
        {
            if (istiod == null)
            {
                var name = string.IsNullOrWhiteSpace(revision) || revision == IstioControlPlane.DefaultRevision ? "istiod" : $"istiod-{revision}";
                return new Status(null, $"no readable control plane for revision '{revision ?? IstioControlPlane.DefaultRevision}' in {ns} (looked for {name})");
            }
            var env = istiod.Env(EnvName);
            if (env != null && bool.TryParse(env, out var set))
            {
                return new Status(set, $"istiod {ns}/{istiod.Deployment} sets {EnvName}={env}");
            }
            if (istio < AutoSince)
            {
                return new Status(false, $"istiod {ns}/{istiod.Deployment} does not set {EnvName}, which defaults to false before Istio 1.27");
            }
            List<JsonObject> nodes;
            try
            {
                nodes = await api.ListAsync(ResourceType.Node, null, null, null, ct).ConfigureAwait(false);
            }
            catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
            {
                return new Status(null, $"{EnvName} is auto (Istio {istio.Major}.{istio.Minor}) and the Nodes are not readable (403) to compare kubelet versions");
            }
            if (nodes.Count == 0) return new Status(null, $"{EnvName} is auto (Istio {istio.Major}.{istio.Minor}) and the cluster has no Node objects yet");
            var old = nodes
                .Select(n => (Name: JsonFields.GetString(n, "metadata", "name") ?? "?", Kubelet: JsonFields.GetString(n, "status", "nodeInfo", "kubeletVersion")))
                .Where(n => !ComponentVersion.TryParse(n.Kubelet, out var v) || v < AutoKubeletMinimum)
                .ToList();
            return old.Count == 0
                ? new Status(true, $"{EnvName} is auto and all {nodes.Count} node(s) run kubelet ≥ 1.33")
                : new Status(false, $"{EnvName} is auto (Istio {istio.Major}.{istio.Minor}) and {old.Count} of {nodes.Count} node(s) run a kubelet older than 1.33: " +
                                    string.Join(", ", old.Take(5).Select(o => $"{o.Name} ({o.Kubelet ?? "unknown"})")) + (old.Count > 5 ? ", ..." : ""));
        }

        /// <summary>The refusal when native sidecars are off.</summary>
        public static AlpException Refusal(string context, Status status) =>
            new(ErrorId, AlpErrorKind.InvalidOperation,
                $"Calico's dikastes templates need native sidecars (istio-proxy as an init container), and they are off on context '{context}': {status.Reason}. " +
                "Pods injected with 'sidecar,dikastes' would get an init container named istio-proxy without an image (invalid pods), the likely cause of \"every request 403\" in projectcalico/calico#11857.", context)
            {
                RecommendedAction = $"Turn native sidecars on (istioctl install --set values.pilot.env.{EnvName}=true, or the Helm value pilot.env.{EnvName}=true; kubelets must be 1.29 or newer), then run again; or use -Force to add the templates anyway.",
            };
    }
}
