using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Core.Alp
{
    /// <summary>
    /// Detects Calico (Kubernetes datastore, version from the calico-node DaemonSet image or ClusterInformation),
    /// Istio (networking.istio.io served, version from the pilot/istiod image or the injector values) and mutual TLS
    /// (MeshPolicy 'default' with an mtls peer, STRICT or PERMISSIVE; PeerAuthentication for newer Istio).
    /// </summary>
    public static class PrerequisiteChecker
    {
        /// <summary>ALP's plumbing (policy-sync flexvolume) is in Calico's standard manifests from 3.8 on.</summary>
        public static readonly ComponentVersion MinimumCalico = new(3, 8, 0);
        /// <summary>The authorization service written here uses the EnvoyFilter 'filters' API of Istio 1.0-1.4.</summary>
        public static readonly ComponentVersion FirstUnsupportedIstio = new(1, 5, 0);

        public static async Task<PrerequisiteReport> CheckAsync(KubeApi api, CancellationToken ct)
        {
            var problems = new List<string>();
            var notes = new List<string>();
            string? k8sVersion = null;
            try
            {
                k8sVersion = await api.GetServerVersionAsync(ct).ConfigureAwait(false);
            }
            catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
            {
                notes.Add("The Kubernetes version could not be read (403 on /version).");
            }

            var calicoFound = await api.ServesAsync(ResourceType.CalicoCrdGroup, "v1", ct).ConfigureAwait(false);
            string? calicoVersion = null, calicoSource = null;
            if (!calicoFound)
            {
                problems.Add("Calico in Kubernetes-datastore mode not found: the API server does not serve crd.projectcalico.org/v1 (with the etcd datastore, use calicoctl instead).");
            }
            else
            {
                (calicoVersion, calicoSource) = await DetectCalicoVersionAsync(api, notes, ct).ConfigureAwait(false);
                if (calicoVersion == null)
                {
                    notes.Add("The Calico version could not be determined (no calico-node DaemonSet or ClusterInformation readable).");
                }
                else if (ComponentVersion.TryParse(calicoVersion, out var cv) && cv < MinimumCalico)
                {
                    problems.Add($"Calico {calicoVersion} is older than {MinimumCalico.Major}.{MinimumCalico.Minor}: its standard manifests lack the policy-sync volume driver ALP needs.");
                }
            }

            var istioFound = await api.ServesAsync(ResourceType.IstioNetworkingGroup, "v1alpha3", ct).ConfigureAwait(false);
            string? istioVersion = null, istioSource = null;
            bool mtls = false;
            string? mtlsSource = null;
            if (!istioFound)
            {
                problems.Add("Istio not found: the API server does not serve networking.istio.io/v1alpha3. Install Istio with mutual TLS first (CalicoAlp never installs Istio).");
            }
            else
            {
                (istioVersion, istioSource) = await DetectIstioVersionAsync(api, notes, ct).ConfigureAwait(false);
                if (istioVersion == null)
                {
                    notes.Add("The Istio version could not be determined (no istio-pilot/istiod Deployment or injector values readable in istio-system).");
                }
                else if (ComponentVersion.TryParse(istioVersion, out var iv) && iv >= FirstUnsupportedIstio)
                {
                    problems.Add($"Istio {istioVersion} is not supported: Calico's authorization service for Istio 1.0-1.4 uses the EnvoyFilter 'filters' API, which Istio 1.5+ removed.");
                }
                (mtls, mtlsSource) = await DetectMutualTlsAsync(api, ct).ConfigureAwait(false);
                if (!mtls)
                {
                    problems.Add("Istio mutual TLS is not enabled: no MeshPolicy 'default' with an mtls peer (install Istio with values.global.mtls.enabled=true). Without mTLS Dikastes can only use IP-based identity.");
                }
            }

            return new PrerequisiteReport
            {
                Context = api.ContextName,
                KubernetesVersion = k8sVersion,
                CalicoFound = calicoFound,
                CalicoVersion = calicoVersion,
                CalicoVersionSource = calicoSource,
                IstioFound = istioFound,
                IstioVersion = istioVersion,
                IstioVersionSource = istioSource,
                MutualTls = mtls,
                MutualTlsSource = mtlsSource,
                Problems = problems,
                Notes = notes,
            };
        }

        public static async Task<(string? Version, string? Source)> DetectCalicoVersionAsync(KubeApi api, List<string> notes, CancellationToken ct)
        {
            foreach (var ns in new[] { "kube-system", "calico-system" })
            {
                JsonObject? ds;
                try
                {
                    ds = await api.GetAsync(ResourceType.DaemonSet, ns, "calico-node", ct).ConfigureAwait(false);
                }
                catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
                {
                    notes.Add($"Cannot read DaemonSet {ns}/calico-node (403).");
                    continue;
                }
                var image = ContainerImage(ds, "calico-node");
                var tag = ComponentVersion.TagOf(image);
                if (ComponentVersion.TryParse(tag, out var v))
                {
                    return (v.ToString(), $"DaemonSet {ns}/calico-node image {image}");
                }
            }
            try
            {
                var info = await api.GetAsync(ResourceType.ClusterInformation, null, "default", ct).ConfigureAwait(false);
                var ver = JsonFields.GetString(info, "spec", "calicoVersion");
                if (ComponentVersion.TryParse(ver, out var v)) return (v.ToString(), $"ClusterInformation default calicoVersion {ver}");
            }
            catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
            {
                notes.Add("Cannot read ClusterInformation 'default' (403).");
            }
            return (null, null);
        }

        public static async Task<(string? Version, string? Source)> DetectIstioVersionAsync(KubeApi api, List<string> notes, CancellationToken ct)
        {
            foreach (var (name, container) in new[] { ("istio-pilot", "discovery"), ("istiod", "discovery") })
            {
                JsonObject? dep;
                try
                {
                    dep = await api.GetAsync(ResourceType.Deployment, AlpConstants.IstioNamespace, name, ct).ConfigureAwait(false);
                }
                catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
                {
                    notes.Add($"Cannot read Deployment {AlpConstants.IstioNamespace}/{name} (403).");
                    continue;
                }
                var image = ContainerImage(dep, container);
                if (ComponentVersion.TryParse(ComponentVersion.TagOf(image), out var v))
                {
                    return (v.ToString(), $"Deployment {AlpConstants.IstioNamespace}/{name} image {image}");
                }
            }
            try
            {
                var cm = await api.GetAsync(ResourceType.ConfigMap, AlpConstants.IstioNamespace, "istio-sidecar-injector", ct).ConfigureAwait(false);
                var values = JsonFields.GetString(cm, "data", "values");
                if (values != null && JsonNode.Parse(values) is JsonObject vo)
                {
                    var tag = JsonFields.GetString(vo, "global", "tag");
                    if (ComponentVersion.TryParse(tag, out var v)) return (v.ToString(), $"ConfigMap {AlpConstants.IstioNamespace}/istio-sidecar-injector values.global.tag {tag}");
                }
            }
            catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
            {
                notes.Add($"Cannot read ConfigMap {AlpConstants.IstioNamespace}/istio-sidecar-injector (403).");
            }
            catch (System.Text.Json.JsonException)
            {
                notes.Add("The injector ConfigMap's values are not JSON.");
            }
            return (null, null);
        }

        public static async Task<(bool Enabled, string? Source)> DetectMutualTlsAsync(KubeApi api, CancellationToken ct)
        {
            if (await api.ServesAsync(ResourceType.MeshPolicy.Group, ResourceType.MeshPolicy.Version, ct).ConfigureAwait(false))
            {
                var mp = await api.GetAsync(ResourceType.MeshPolicy, null, "default", ct).ConfigureAwait(false);
                if (mp?["spec"]?["peers"] is JsonArray peers)
                {
                    foreach (var peer in peers)
                    {
                        if (peer is JsonObject po && po.ContainsKey("mtls"))
                        {
                            var mode = JsonFields.GetString(po, "mtls", "mode") ?? "STRICT";
                            return (true, $"MeshPolicy default (mtls mode {mode})");
                        }
                    }
                }
            }
            if (await api.ServesAsync(ResourceType.PeerAuthentication.Group, ResourceType.PeerAuthentication.Version, ct).ConfigureAwait(false))
            {
                var pa = await api.GetAsync(ResourceType.PeerAuthentication, AlpConstants.IstioNamespace, "default", ct).ConfigureAwait(false);
                var mode = JsonFields.GetString(pa, "spec", "mtls", "mode");
                if (mode is "STRICT" or "PERMISSIVE") return (true, $"PeerAuthentication istio-system/default (mode {mode})");
            }
            return (false, null);
        }

        private static string? ContainerImage(JsonObject? workload, string preferredName)
        {
            if (workload?["spec"]?["template"]?["spec"]?["containers"] is not JsonArray containers) return null;
            var list = containers.OfType<JsonObject>().ToList();
            var match = list.FirstOrDefault(c => JsonFields.GetString(c, "name") == preferredName) ?? list.FirstOrDefault();
            return JsonFields.GetString(match, "image");
        }
    }
}
