using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Core.Alp
{
    /// <summary>
    /// Istio's ambient mode (ztunnel per node, waypoints; no sidecars): Calico's ALP lives in a sidecar next to
    /// istio-proxy, so it has nothing to attach to there. Signs: the ztunnel DaemonSet, namespaces labelled
    /// <c>istio.io/dataplane-mode=ambient</c>, istiod's <c>PILOT_ENABLE_AMBIENT=true</c>, an IstioOperator with profile ambient.
    /// </summary>
    public static class AmbientMesh
    {
        public const string DataplaneModeLabel = "istio.io/dataplane-mode";

        /// <summary>The signs of ambient mode found (empty: none).</summary>
        public static async Task<IReadOnlyList<string>> DetectAsync(KubeApi api, string ns, IstioControlPlane? controlPlane, List<string> notes, CancellationToken ct)
        {
            var signs = new List<string>();
            try
            {
                if (await api.GetAsync(ResourceType.DaemonSet, ns, "ztunnel", ct).ConfigureAwait(false) != null) signs.Add($"DaemonSet {ns}/ztunnel exists");
            }
            catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
            {
                notes.Add($"Cannot read DaemonSet {ns}/ztunnel (403).");
            }
            try
            {
                var ambient = await api.ListAsync(ResourceType.Namespace, null, DataplaneModeLabel + "=ambient", null, ct).ConfigureAwait(false);
                if (ambient.Count > 0)
                {
                    var names = ambient.ConvertAll(n => JsonFields.GetString(n, "metadata", "name") ?? "?");
                    signs.Add($"namespace(s) labelled {DataplaneModeLabel}=ambient: {string.Join(", ", names)}");
                }
            }
            catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
            {
                notes.Add("Cannot list namespaces (403): the ambient dataplane-mode label was not checked.");
            }
            if (controlPlane?.Env("PILOT_ENABLE_AMBIENT") is { } env && env.Equals("true", System.StringComparison.OrdinalIgnoreCase))
            {
                signs.Add($"Deployment {ns}/{controlPlane.Deployment} sets PILOT_ENABLE_AMBIENT=true");
            }
            var op = ResourceType.IstioOperator;
            if (await api.ServesResourceAsync(op.Group, op.Version, op.Plural, ct).ConfigureAwait(false))
            {
                try
                {
                    foreach (var io in await api.ListAsync(op, ns, null, null, ct).ConfigureAwait(false))
                    {
                        if (JsonFields.GetString(io, "spec", "profile") == "ambient")
                        {
                            signs.Add($"IstioOperator {ns}/{JsonFields.GetString(io, "metadata", "name")} has profile ambient");
                        }
                    }
                }
                catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
                {
                    notes.Add($"Cannot list IstioOperators in {ns} (403).");
                }
            }
            return signs;
        }
    }
}
