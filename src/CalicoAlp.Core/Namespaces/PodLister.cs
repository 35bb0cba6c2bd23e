using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Core.Namespaces
{
    /// <summary>Lists the pods of a set of namespaces with as few API calls as possible.</summary>
    public static class PodLister
    {
        /// <summary>Above this many namespaces one cluster-wide LIST (paged) is cheaper than one LIST per namespace.</summary>
        public const int ClusterWideThreshold = 10;

        /// <summary>The pods of each namespace, each with the fields CalicoAlp reads (<see cref="PodFields"/>).</summary>
        public static Task<Dictionary<string, List<JsonObject>>> ListAsync(KubeApi api, IReadOnlyCollection<string> namespaces, CancellationToken ct) =>
            ListAsync(api, ResourceType.Pod, namespaces, ct, PodFields.Project);

        /// <summary>The objects of a namespaced <paramref name="type"/> (pods, ReplicaSets) in each namespace, whole or as <paramref name="project"/> makes them.</summary>
        public static async Task<Dictionary<string, List<JsonObject>>> ListAsync(KubeApi api, ResourceType type, IReadOnlyCollection<string> namespaces, CancellationToken ct,
            Func<System.Text.Json.JsonElement, JsonObject>? project = null)
        {
            Task<List<JsonObject>> List(string? ns) =>
                project == null ? api.ListAsync(type, ns, null, null, ct) : api.ListAsync(type, ns, null, null, project, ct);
            var result = namespaces.ToDictionary(n => n, _ => new List<JsonObject>(), StringComparer.Ordinal);
            if (namespaces.Count > ClusterWideThreshold)
            {
                foreach (var obj in await List(null).ConfigureAwait(false))
                {
                    var ns = JsonFields.GetString(obj, "metadata", "namespace");
                    if (ns != null && result.TryGetValue(ns, out var list)) list.Add(obj);
                }
                return result;
            }
            foreach (var ns in namespaces)
            {
                result[ns].AddRange(await List(ns).ConfigureAwait(false));
            }
            return result;
        }
    }
}
