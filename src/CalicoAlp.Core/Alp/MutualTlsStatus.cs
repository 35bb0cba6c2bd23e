using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Generations;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CalicoAlp.Core.Alp
{
    /// <summary>
    /// Mesh-wide mutual TLS as the generation declares it: MeshPolicy 'default' (Istio up to 1.5), or (1.6+) a
    /// PeerAuthentication without selector in the root namespace (istio-system, or meshConfig rootNamespace from
    /// ConfigMap istio[-&lt;rev&gt;]), served as security.istio.io v1 or v1beta1. Namespace- and workload-level
    /// PeerAuthentications with mode DISABLE or PERMISSIVE weaken it and are listed by name.
    /// </summary>
    public sealed class MutualTlsStatus
    {
        /// <summary>STRICT or PERMISSIVE mesh-wide.</summary>
        public bool Enabled { get; init; }
        /// <summary>STRICT, PERMISSIVE, DISABLE, UNSET, or null when nothing declares it.</summary>
        public string? Mode { get; init; }
        public string? Source { get; init; }
        /// <summary>apiVersion read ("security.istio.io/v1", "authentication.istio.io/v1alpha1").</summary>
        public string? Api { get; init; }
        public string RootNamespace { get; init; } = AlpConstants.IstioNamespace;
        /// <summary>PeerAuthentications below the mesh level with mode DISABLE or PERMISSIVE ("ns/name (mode)").</summary>
        public IReadOnlyList<string> Overrides { get; init; } = Array.Empty<string>();

        public static async Task<MutualTlsStatus> DetectAsync(KubeApi api, IstioGeneration? generation, string? revision, List<string> notes, CancellationToken ct)
        {
            var mp = ResourceType.MeshPolicy;
            if ((generation == null || generation.MutualTls == MutualTlsApi.MeshPolicy) && await api.ServesAsync(mp.Group, mp.Version, ct).ConfigureAwait(false))
            {
                var policy = await api.GetAsync(mp, null, "default", ct).ConfigureAwait(false);
                if (policy?["spec"]?["peers"] is JsonArray peers)
                {
                    foreach (var peer in peers.OfType<JsonObject>())
                    {
                        if (!peer.ContainsKey("mtls")) continue;
                        var mode = JsonFields.GetString(peer, "mtls", "mode") ?? "STRICT";
                        return new MutualTlsStatus { Enabled = true, Mode = mode, Source = $"MeshPolicy default (mtls mode {mode})", Api = mp.ApiVersion };
                    }
                }
                if (generation != null) return new MutualTlsStatus { Api = mp.ApiVersion };
            }

            ResourceType? pa = null;
            foreach (var t in new[] { ResourceType.PeerAuthenticationV1, ResourceType.PeerAuthentication })
            {
                if (await api.ServesResourceAsync(t.Group, t.Version, t.Plural, ct).ConfigureAwait(false)) { pa = t; break; }
            }
            if (pa == null) return new MutualTlsStatus();

            var root = await RootNamespaceAsync(api, revision, notes, ct).ConfigureAwait(false);
            List<JsonObject> all;
            try
            {
                all = await api.ListAsync(pa, null, null, null, ct).ConfigureAwait(false);
            }
            catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
            {
                notes.Add("Cannot list PeerAuthentications in all namespaces (403); only the root namespace was read.");
                all = await api.ListAsync(pa, root, null, null, ct).ConfigureAwait(false);
            }
            static string Mode(JsonObject o) => JsonFields.GetString(o, "spec", "mtls", "mode") ?? "UNSET";
            static bool HasSelector(JsonObject o) => o["spec"]?["selector"] is JsonObject s && s.Count > 0;
            static string Id(JsonObject o) => $"{JsonFields.GetString(o, "metadata", "namespace")}/{JsonFields.GetString(o, "metadata", "name")}";

            var meshWide = all.Where(o => JsonFields.GetString(o, "metadata", "namespace") == root && !HasSelector(o))
                .OrderBy(o => JsonFields.GetString(o, "metadata", "creationTimestamp"), StringComparer.Ordinal).ToList();
            var overrides = all.Where(o => !(JsonFields.GetString(o, "metadata", "namespace") == root && !HasSelector(o)))
                .Where(o => Mode(o) is "DISABLE" or "PERMISSIVE" || PortLevelWeaker(o))
                .Select(o => $"{Id(o)} ({(HasSelector(o) ? "workload" : "namespace")}-level, mode {Mode(o)}{(PortLevelWeaker(o) ? ", port-level exceptions" : "")})")
                .OrderBy(s => s, StringComparer.Ordinal).ToList();
            if (meshWide.Count == 0)
            {
                return new MutualTlsStatus { Api = pa.ApiVersion, RootNamespace = root, Overrides = overrides };
            }
            if (meshWide.Count > 1)
            {
                notes.Add($"Several mesh-wide PeerAuthentications in {root} ({string.Join(", ", meshWide.Select(Id))}): Istio uses the oldest, {Id(meshWide[0])}.");
            }
            var chosen = meshWide[0];
            var m = Mode(chosen);
            return new MutualTlsStatus
            {
                // UNSET at mesh level means Istio's default, PERMISSIVE.
                Enabled = m is "STRICT" or "PERMISSIVE" or "UNSET",
                Mode = m == "UNSET" ? "PERMISSIVE" : m,
                Source = $"PeerAuthentication {Id(chosen)} (mode {m})",
                Api = pa.ApiVersion,
                RootNamespace = root,
                Overrides = overrides,
            };
        }

        private static bool PortLevelWeaker(JsonObject o) =>
            o["spec"]?["portLevelMtls"] is JsonObject ports && ports.Select(p => JsonFields.GetString(p.Value, "mode")).Any(m => m is "DISABLE" or "PERMISSIVE");

        /// <summary>meshConfig rootNamespace from ConfigMap istio (or istio-&lt;rev&gt;) data.mesh; istio-system when unset or unreadable.</summary>
        public static async Task<string> RootNamespaceAsync(KubeApi api, string? revision, List<string> notes, CancellationToken ct)
        {
            var name = string.IsNullOrEmpty(revision) || revision == IstioControlPlane.DefaultRevision ? "istio" : "istio-" + revision;
            try
            {
                var cm = await api.GetAsync(ResourceType.ConfigMap, AlpConstants.IstioNamespace, name, ct).ConfigureAwait(false);
                var mesh = JsonFields.GetString(cm, "data", "mesh");
                if (mesh == null) return AlpConstants.IstioNamespace;
                var stream = new YamlStream();
                stream.Load(new NestingLimitParser(new Parser(new StringReader(mesh)), InputLimits.DocumentNesting));
                if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode map
                    && map.Children.TryGetValue(new YamlScalarNode("rootNamespace"), out var v) && v is YamlScalarNode s && !string.IsNullOrEmpty(s.Value))
                {
                    return s.Value!;
                }
            }
            catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
            {
                notes.Add($"Cannot read ConfigMap {AlpConstants.IstioNamespace}/{name} (403): root namespace assumed to be {AlpConstants.IstioNamespace}.");
            }
            catch (YamlException)
            {
                notes.Add($"ConfigMap {AlpConstants.IstioNamespace}/{name} data.mesh is not readable YAML: root namespace assumed to be {AlpConstants.IstioNamespace}.");
            }
            return AlpConstants.IstioNamespace;
        }
    }
}
