using System.Collections.Generic;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Policy.Loading;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Cluster
{
    /// <summary>
    /// Reads the policies and labels Dikastes and Felix work from out of a cluster in Kubernetes-datastore mode: Calico's
    /// CRD-stored Tiers, GlobalNetworkPolicies and NetworkPolicies (crd.projectcalico.org/v1, plus the staged kinds where
    /// the cluster has them), Kubernetes NetworkPolicies, Namespaces and ServiceAccounts — one LIST each — and loads them
    /// with the same loader as policy files.
    /// </summary>
    public static class ClusterPolicySource
    {
        private static readonly (ResourceType Type, bool Optional)[] Sources =
        {
            (new ResourceType(ResourceType.CalicoCrdGroup, "v1", "tiers", "Tier", false), true),
            (ResourceType.CalicoGlobalNetworkPolicy, false),
            (ResourceType.CalicoNetworkPolicy, false),
            (new ResourceType(ResourceType.CalicoCrdGroup, "v1", "stagedglobalnetworkpolicies", "StagedGlobalNetworkPolicy", false), true),
            (new ResourceType(ResourceType.CalicoCrdGroup, "v1", "stagednetworkpolicies", "StagedNetworkPolicy", true), true),
            (new ResourceType("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true), false),
            (ResourceType.Namespace, false),
            (ResourceType.ServiceAccount, false),
        };

        /// <summary>A live pod (namespace/name) as the workload Dikastes sees (namespace, service account, labels) and its IP.</summary>
        public static async Task<(Evaluation.WorkloadInfo Workload, System.Net.IPAddress? IP)> GetPodAsync(KubeApi api, string nsName, CancellationToken ct)
        {
            var slash = nsName.IndexOf('/');
            var ns = nsName[..slash];
            var name = nsName[(slash + 1)..];
            var pod = await api.GetAsync(ResourceType.Pod, ns, name, ct).ConfigureAwait(false)
                ?? throw new AlpException("PodNotFound", AlpErrorKind.ObjectNotFound, $"Pod '{nsName}' does not exist on context '{api.ContextName}'.", nsName);
            var sa = Json.JsonFields.GetString(pod, "spec", "serviceAccountName") ?? "default";
            var ipText = Json.JsonFields.GetString(pod, "status", "podIP");
            var labels = Json.JsonFields.StringMap(pod["metadata"]?["labels"]);
            return (new Evaluation.WorkloadInfo(ns, sa, labels), System.Net.IPAddress.TryParse(ipText, out var ip) ? ip : null);
        }

        /// <summary>
        /// The cluster's policies and labels. An object that cannot be read (an invalid or too deeply nested selector, a
        /// bad field) is left out with a warning on <see cref="KubeApi.Log"/> naming it and the field: one bad object
        /// stored by anyone must not stop every admin's Test-AlpRequest or Add-AlpNamespace.
        /// </summary>
        public static async Task<PolicySet> LoadAsync(KubeApi api, CancellationToken ct)
        {
            var objects = new List<(string Text, string Source)>();
            foreach (var (type, optional) in Sources)
            {
                List<JsonObject> listed;
                try
                {
                    listed = await api.ListAsync(type, null, null, null, ct).ConfigureAwait(false);
                }
                catch (AlpException ex) when (optional && ex.Kind == AlpErrorKind.ObjectNotFound)
                {
                    continue; // this Calico version has no such CRD
                }
                foreach (var item in listed)
                {
                    objects.Add((ForLoader(type, item).ToJsonString(), $"{type.Kind} '{NameOf(item)}' in cluster '{api.ContextName}'"));
                }
            }
            return PolicyLoader.LoadObjects(objects, (source, ex) =>
            {
                var detail = ex.Message.StartsWith(source + ":", System.StringComparison.Ordinal) ? ex.Message[(source.Length + 1)..].TrimStart() : ex.Message;
                api.Log.Warning($"Skipping {source} ({ex.ErrorId}): {detail} The answers leave this object out.");
            });
        }

        /// <summary>
        /// What the loader reads of a listed object, with its kind and apiVersion (LIST responses of built-in types omit
        /// them). Namespaces and ServiceAccounts count only by name and labels: on a cluster of hundreds of namespaces
        /// their managed fields and annotations were most of the text the loader parsed. Policies keep everything the
        /// loader reads (and reports errors in) but the managed fields and kubectl's copy of the last applied object.
        /// </summary>
        internal static JsonObject ForLoader(ResourceType type, JsonObject item)
        {
            var metadata = item["metadata"] as JsonObject;
            if (type.Kind is "Namespace" or "ServiceAccount")
            {
                var meta = new JsonObject();
                foreach (var field in new[] { "name", "namespace", "labels" })
                {
                    if (metadata?[field] is { } value) meta[field] = value.DeepClone();
                }
                return new JsonObject { ["apiVersion"] = type.ApiVersion, ["kind"] = type.Kind, ["metadata"] = meta };
            }
            item["apiVersion"] = type.ApiVersion;
            item["kind"] = type.Kind;
            metadata?.Remove("managedFields");
            (metadata?["annotations"] as JsonObject)?.Remove(Alp.AlpConstants.LastAppliedAnnotation);
            return item;
        }

        /// <summary>namespace/name (or name) of a listed object, for messages.</summary>
        private static string NameOf(JsonObject item)
        {
            var name = Json.JsonFields.GetString(item, "metadata", "name") ?? "?";
            var ns = Json.JsonFields.GetString(item, "metadata", "namespace");
            return string.IsNullOrEmpty(ns) ? name : ns + "/" + name;
        }
    }
}
