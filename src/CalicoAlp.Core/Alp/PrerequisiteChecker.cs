using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Generations;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Core.Alp
{
    /// <summary>
    /// Detects Calico (Kubernetes datastore: the group serving felixconfigurations, version from the calico-node
    /// image or ClusterInformation), Istio (control planes and revisions, version from the istiod/istio-pilot image or
    /// the injector values, the generation from <see cref="IstioGeneration.For"/>), ambient mode and mutual TLS
    /// (<see cref="MutualTlsStatus"/>). Version rules live in the generation table, not here.
    /// </summary>
    public static class PrerequisiteChecker
    {
        public const string RevisionAmbiguousErrorId = "IstioRevisionAmbiguous";
        public const string RevisionNotFoundErrorId = "IstioRevisionNotFound";

        /// <param name="revision">The Istio revision to enable ALP for (null: the only control plane there is).</param>
        public static async Task<PrerequisiteReport> CheckAsync(KubeApi api, string? revision, CancellationToken ct)
        {
            var problems = new List<string>();
            var warnings = new List<string>();
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

            var felixType = await FelixConfigurationTypeAsync(api, ct).ConfigureAwait(false);
            var calicoFound = felixType != null;
            string? calicoVersion = null, calicoSource = null;
            ComponentVersion? calico = null;
            if (!calicoFound)
            {
                problems.Add("Calico in Kubernetes-datastore mode not found: the API server serves felixconfigurations neither in crd.projectcalico.org/v1 nor in projectcalico.org/v3 (with the etcd datastore, use calicoctl instead).");
            }
            else
            {
                if (felixType!.Group == ResourceType.CalicoV3Group) notes.Add("FelixConfiguration is served by projectcalico.org/v3 (no crd.projectcalico.org/v1): it is written there.");
                (calicoVersion, calicoSource) = await DetectCalicoVersionAsync(api, notes, ct).ConfigureAwait(false);
                if (calicoVersion == null)
                {
                    notes.Add("The Calico version could not be determined (no calico-node DaemonSet or ClusterInformation readable).");
                }
                else if (ComponentVersion.TryParse(calicoVersion, out var cv))
                {
                    calico = cv;
                    if (cv < CalicoRelease.Minimum)
                    {
                        problems.Add($"Calico {calicoVersion} is older than {CalicoRelease.Minimum.Major}.{CalicoRelease.Minimum.Minor}: its standard manifests lack the policy-sync volume driver ALP needs.");
                    }
                }
            }

            var istioFound = await api.ServesAsync(ResourceType.IstioNetworkingGroup, "v1alpha3", ct).ConfigureAwait(false);
            string? istioVersion = null, istioSource = null, chosenRevision = null;
            IReadOnlyList<string> revisions = Array.Empty<string>();
            IReadOnlyList<IstioControlPlane> controlPlanes = Array.Empty<IstioControlPlane>();
            IstioGeneration? generation = null;
            IReadOnlyList<string> ambient = Array.Empty<string>();
            MutualTlsStatus mtls = new();
            if (!istioFound)
            {
                problems.Add("Istio not found: the API server does not serve networking.istio.io/v1alpha3. Install Istio with mutual TLS first (CalicoAlp never installs Istio).");
            }
            else
            {
                var planes = await IstioControlPlane.FindAsync(api, AlpConstants.IstioNamespace, notes, ct).ConfigureAwait(false);
                revisions = planes.Select(p => p.ToString()).ToList();
                controlPlanes = planes;
                var plane = Choose(planes, revision, api.ContextName);
                chosenRevision = plane?.Revision ?? revision;
                ComponentVersion? istio = null;
                if (plane?.Version is { } pv)
                {
                    istio = pv;
                    istioVersion = pv.ToString();
                    istioSource = $"Deployment {AlpConstants.IstioNamespace}/{plane.Deployment} image {plane.Image}";
                }
                else
                {
                    (istioVersion, istioSource) = await InjectorValuesVersionAsync(api, chosenRevision, notes, ct).ConfigureAwait(false);
                    if (ComponentVersion.TryParse(istioVersion, out var iv)) istio = iv;
                }
                if (istio == null)
                {
                    // The served APIs still bound the generation: MeshPolicy exists up to Istio 1.5 only.
                    if (await api.ServesAsync(ResourceType.MeshPolicy.Group, ResourceType.MeshPolicy.Version, ct).ConfigureAwait(false))
                    {
                        generation = IstioGeneration.For(new ComponentVersion(1, 4, 0));
                        notes.Add("The Istio version could not be determined (no istio-pilot/istiod Deployment or injector values readable in istio-system); authentication.istio.io MeshPolicy is served, so the Istio 1.0-1.4 method is used.");
                    }
                    else
                    {
                        generation = IstioGeneration.For(IstioGeneration.NewestDocumented);
                        problems.Add($"The Istio version could not be determined (no istiod/istio-pilot Deployment or injector values readable in istio-system). With -Force the method of Istio {IstioGeneration.NewestDocumented.Major}.{IstioGeneration.NewestDocumented.Minor} is used.");
                    }
                }
                else
                {
                    generation = IstioGeneration.For(istio.Value);
                    if (calico is { } c)
                    {
                        var (genProblems, genNotes) = generation.CheckWith(c);
                        problems.AddRange(genProblems);
                        warnings.AddRange(genNotes);
                    }
                    else if (generation.Refusal != null)
                    {
                        problems.Add(generation.Refusal);
                    }
                }

                ambient = await AmbientMesh.DetectAsync(api, AlpConstants.IstioNamespace, plane, notes, ct).ConfigureAwait(false);
                if (ambient.Count > 0)
                {
                    problems.Add($"Istio runs in ambient mode ({string.Join("; ", ambient)}): ambient workloads have no sidecar, and Calico's application layer policy runs Dikastes beside each workload's istio-proxy sidecar, so it would never see their requests. Use Istio's sidecar mode for the workloads ALP should guard (namespace label istio-injection=enabled instead of {AmbientMesh.DataplaneModeLabel}=ambient), or use -Force to write the configuration for the sidecar workloads of a mixed mesh.");
                }

                mtls = await MutualTlsStatus.DetectAsync(api, generation, chosenRevision, notes, ct).ConfigureAwait(false);
                if (!mtls.Enabled)
                {
                    problems.Add(generation?.MutualTls == MutualTlsApi.MeshPolicy
                        ? "Istio mutual TLS is not enabled: no MeshPolicy 'default' with an mtls peer (install Istio with values.global.mtls.enabled=true). Without mTLS Dikastes can only use IP-based identity."
                        : $"Istio mutual TLS is not enabled: no mesh-wide PeerAuthentication (no selector) in the root namespace '{mtls.RootNamespace}'{(mtls.Mode == "DISABLE" ? " except one with mode DISABLE" : "")} (apply Calico's PeerAuthentication 'default-strict-mode' with spec.mtls.mode STRICT). Without mTLS Dikastes can only use IP-based identity.");
                }
                else if (mtls.Mode == "PERMISSIVE")
                {
                    warnings.Add($"Mutual TLS is PERMISSIVE ({mtls.Source}): plaintext requests are still accepted, and for them Dikastes can only use IP-based identity. Set mode STRICT for cryptographic identities.");
                }
                foreach (var o in mtls.Overrides)
                {
                    warnings.Add($"PeerAuthentication {o} weakens the mesh-wide mutual TLS there: Dikastes falls back to IP-based identity for plaintext requests.");
                }
            }

            return new PrerequisiteReport
            {
                Context = api.ContextName,
                KubernetesVersion = k8sVersion,
                CalicoFound = calicoFound,
                CalicoVersion = calicoVersion,
                CalicoVersionSource = calicoSource,
                FelixConfigurationType = felixType,
                IstioFound = istioFound,
                IstioVersion = istioVersion,
                IstioVersionSource = istioSource,
                IstioRevision = chosenRevision,
                IstioRevisions = revisions,
                ControlPlanes = controlPlanes,
                Generation = generation,
                AmbientSigns = ambient,
                MutualTls = mtls.Enabled,
                MutualTlsSource = mtls.Source,
                MutualTlsMode = mtls.Mode,
                MutualTlsApi = mtls.Api,
                MutualTlsRootNamespace = mtls.RootNamespace,
                MutualTlsOverrides = mtls.Overrides,
                Problems = problems,
                Warnings = warnings,
                Notes = notes,
            };
        }

        /// <summary>The control plane of the revision asked for, or the only one; several without a choice is an error naming them.</summary>
        private static IstioControlPlane? Choose(IReadOnlyList<IstioControlPlane> planes, string? revision, string context)
        {
            if (revision != null)
            {
                var match = planes.Where(p => string.Equals(p.Revision, revision, StringComparison.Ordinal)).ToList();
                if (match.Count == 0)
                {
                    throw new AlpException(RevisionNotFoundErrorId, AlpErrorKind.ObjectNotFound,
                        $"No Istio control plane of revision '{revision}' in {AlpConstants.IstioNamespace} on context '{context}'. " +
                        (planes.Count == 0 ? "No istiod or istio-pilot Deployment was found." : $"Found: {string.Join("; ", planes)}."), revision)
                    { RecommendedAction = "Pass one of the revisions found to -Revision (or omit it when there is only one control plane)." };
                }
                return match[0];
            }
            var distinct = planes.Select(p => p.Revision).Distinct(StringComparer.Ordinal).Count();
            if (distinct > 1)
            {
                throw new AlpException(RevisionAmbiguousErrorId, AlpErrorKind.InvalidArgument,
                    $"Several Istio control planes run in {AlpConstants.IstioNamespace} on context '{context}': {string.Join("; ", planes)}. The authorization service is mesh-wide, and its form depends on the Istio release.", context)
                { RecommendedAction = $"Pass -Revision with the revision whose proxies ALP is for ({string.Join(", ", planes.Select(p => p.Revision).Distinct(StringComparer.Ordinal))})." };
            }
            return planes.FirstOrDefault(p => p.Version != null) ?? planes.FirstOrDefault();
        }

        /// <summary>The group serving felixconfigurations: crd.projectcalico.org/v1 (classic chart), else projectcalico.org/v3 (Calico 3.32 native CRDs, or Calico's API server); null when neither.</summary>
        public static async Task<ResourceType?> FelixConfigurationTypeAsync(KubeApi api, CancellationToken ct)
        {
            foreach (var t in new[] { ResourceType.FelixConfiguration, ResourceType.FelixConfigurationV3 })
            {
                if (await api.ServesResourceAsync(t.Group, t.Version, t.Plural, ct).ConfigureAwait(false)) return t;
            }
            return null;
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
                var image = IstioControlPlane.ContainerImage(ds, "calico-node");
                var tag = ComponentVersion.TagOf(image);
                if (ComponentVersion.TryParse(tag, out var v))
                {
                    return (v.ToString(), $"DaemonSet {ns}/calico-node image {image}");
                }
            }
            foreach (var t in new[] { ResourceType.ClusterInformation, ResourceType.ClusterInformationV3 })
            {
                if (!await api.ServesResourceAsync(t.Group, t.Version, t.Plural, ct).ConfigureAwait(false)) continue;
                try
                {
                    var info = await api.GetAsync(t, null, "default", ct).ConfigureAwait(false);
                    var ver = JsonFields.GetString(info, "spec", "calicoVersion");
                    if (ComponentVersion.TryParse(ver, out var v)) return (v.ToString(), $"ClusterInformation default ({t.ApiVersion}) calicoVersion {ver}");
                }
                catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
                {
                    notes.Add($"Cannot read ClusterInformation 'default' in {t.ApiVersion} (403).");
                }
            }
            return (null, null);
        }

        /// <summary>
        /// The Istio version of the default revision (istiod or istio-pilot, else the only control plane), else from the
        /// istio-sidecar-injector ConfigMap's values; (null, null) when neither is readable. Used by the injector editor.
        /// </summary>
        public static async Task<(string? Version, string? Source)> DetectIstioVersionAsync(KubeApi api, List<string> notes, CancellationToken ct) =>
            await DetectIstioVersionAsync(api, await IstioRevisions.FindAsync(api, AlpConstants.IstioNamespace, injectors: false, notes, ct).ConfigureAwait(false), notes, ct).ConfigureAwait(false);

        /// <summary>The same from revisions already found (no second Deployment LIST; the injector ConfigMap is read only when it was not listed).</summary>
        public static async Task<(string? Version, string? Source)> DetectIstioVersionAsync(KubeApi api, IstioRevisions found, List<string> notes, CancellationToken ct)
        {
            var planes = found.ControlPlanes;
            var plane = planes.FirstOrDefault(p => p.Revision == IstioControlPlane.DefaultRevision && p.Version != null)
                        ?? (planes.Count == 1 ? planes[0] : null);
            if (plane?.Version is { } v) return (v.ToString(), $"Deployment {AlpConstants.IstioNamespace}/{plane.Deployment} image {plane.Image}");
            return await InjectorValuesVersionAsync(api, null, notes, ct, found).ConfigureAwait(false);
        }

        /// <summary>The Istio version of a release (or revision) from the injector ConfigMap's values.global.tag (as listed in <paramref name="found"/>, else read).</summary>
        private static async Task<(string? Version, string? Source)> InjectorValuesVersionAsync(KubeApi api, string? revision, List<string> notes, CancellationToken ct, IstioRevisions? found = null)
        {
            var name = string.IsNullOrEmpty(revision) || revision == IstioControlPlane.DefaultRevision ? "istio-sidecar-injector" : "istio-sidecar-injector-" + revision;
            try
            {
                var cm = found?.InjectorConfigMaps != null ? found.InjectorConfigMap(revision)
                    : await api.GetAsync(ResourceType.ConfigMap, AlpConstants.IstioNamespace, name, ct).ConfigureAwait(false);
                var values = JsonFields.GetString(cm, "data", "values");
                if (values != null && JsonNode.Parse(values) is JsonObject vo)
                {
                    var tag = JsonFields.GetString(vo, "global", "tag");
                    if (ComponentVersion.TryParse(tag, out var v)) return (v.ToString(), $"ConfigMap {AlpConstants.IstioNamespace}/{name} values.global.tag {tag}");
                }
            }
            catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
            {
                notes.Add($"Cannot read ConfigMap {AlpConstants.IstioNamespace}/{name} (403).");
            }
            catch (System.Text.Json.JsonException)
            {
                notes.Add($"The values of ConfigMap {AlpConstants.IstioNamespace}/{name} are not JSON.");
            }
            return (null, null);
        }
    }
}
