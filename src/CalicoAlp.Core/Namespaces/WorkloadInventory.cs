using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Namespaces
{
    /// <summary>
    /// Groups a namespace's pods that lack the sidecars by owning workload, following controller owner references
    /// (Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob, StatefulSet, DaemonSet, bare pods). Pure: works on
    /// objects already listed (one LIST of pods and one of ReplicaSets per namespace, or cluster-wide).
    /// </summary>
    public static class WorkloadInventory
    {
        public const string ProxyContainer = "istio-proxy";
        public const string DikastesContainer = "dikastes";

        /// <summary>For Add: what the pod lacks (null: nothing, finished, or opted out with sidecar.istio.io/inject=false).</summary>
        public static SidecarGap? MissingSidecar(JsonObject pod)
        {
            if (IsFinished(pod)) return null; // finished pods are not serving traffic
            if (JsonFields.GetString(pod, "metadata", "annotations", "sidecar.istio.io/inject") is "false") return null; // opted out on purpose
            var names = ContainerNames(pod);
            if (!names.Contains(ProxyContainer)) return SidecarGap.NoSidecar;
            if (!names.Contains(DikastesContainer)) return SidecarGap.NoDikastes;
            return null;
        }

        /// <summary>For Remove: HasSidecar when a running pod still carries istio-proxy.</summary>
        public static SidecarGap? StillInjected(JsonObject pod) =>
            !IsFinished(pod) && ContainerNames(pod).Contains(ProxyContainer) ? SidecarGap.HasSidecar : null;

        private static bool IsFinished(JsonObject pod) => JsonFields.GetString(pod, "status", "phase") is "Succeeded" or "Failed";

        private static HashSet<string> ContainerNames(JsonObject pod)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            if (pod["spec"]?["containers"] is JsonArray containers)
            {
                foreach (var c in containers)
                {
                    var n = JsonFields.GetString(c, "name");
                    if (n != null) names.Add(n);
                }
            }
            // A native sidecar (Istio 1.19+ with ENABLE_NATIVE_SIDECARS, the dikastes templates' requirement) is an init
            // container with restartPolicy Always: istio-proxy runs beside the app although it is listed there.
            if (pod["spec"]?["initContainers"] is JsonArray init)
            {
                foreach (var c in init)
                {
                    var n = JsonFields.GetString(c, "name");
                    if (n != null && JsonFields.GetString(c, "restartPolicy") == "Always") names.Add(n);
                }
            }
            return names;
        }

        /// <summary>Whether <see cref="Analyze"/> needs the namespace's ReplicaSets: a pod with a gap is owned by one.</summary>
        public static bool NeedsReplicaSets(IEnumerable<JsonObject> pods, Func<JsonObject, SidecarGap?> gapOf) =>
            pods.Any(p => Controller(p)?.Kind == "ReplicaSet" && gapOf(p) != null);

        /// <summary>
        /// Workloads of <paramref name="pods"/> (all in one namespace) for which <paramref name="gapOf"/> finds a gap.
        /// A pod owned by a ReplicaSet belongs to the ReplicaSet's own controller (a Deployment) as its
        /// ownerReferences say; <paramref name="replicaSets"/> are the namespace's ReplicaSets as listed. Names and
        /// labels are never used to guess an owner.
        /// </summary>
        public static List<WorkloadGap> Analyze(string ns, IEnumerable<JsonObject> pods, IEnumerable<JsonObject> replicaSets, Func<JsonObject, SidecarGap?> gapOf)
        {
            var replicaSetOwners = new Dictionary<string, (string Kind, string Name)>(StringComparer.Ordinal);
            foreach (var rs in replicaSets)
            {
                var rsName = JsonFields.GetString(rs, "metadata", "name");
                if (rsName != null && Controller(rs) is { } owner) replicaSetOwners[rsName] = owner;
            }
            var groups = new Dictionary<(string Kind, string Name), (List<string> Pods, SidecarGap Gap)>();
            foreach (var pod in pods)
            {
                var gap = gapOf(pod);
                if (gap == null) continue;
                var podName = JsonFields.GetString(pod, "metadata", "name") ?? "";
                var (kind, name) = Controller(pod) ?? ("Pod", podName);
                if (kind == "ReplicaSet" && replicaSetOwners.TryGetValue(name, out var rsOwner) && rsOwner.Kind == "Deployment")
                {
                    (kind, name) = rsOwner;
                }
                if (!groups.TryGetValue((kind, name), out var g))
                {
                    g = (new List<string>(), gap.Value);
                    groups[(kind, name)] = g;
                }
                g.Pods.Add(podName);
                // A workload with any pod lacking the proxy is reported as NoSidecar (the bigger gap).
                if (gap == SidecarGap.NoSidecar && g.Gap == SidecarGap.NoDikastes) groups[(kind, name)] = (g.Pods, SidecarGap.NoSidecar);
            }
            return groups
                .OrderBy(kv => kv.Key.Kind, StringComparer.Ordinal).ThenBy(kv => kv.Key.Name, StringComparer.Ordinal)
                .Select(kv => new WorkloadGap(ns, kv.Key.Kind, kv.Key.Name, kv.Value.Pods.OrderBy(p => p, StringComparer.Ordinal).ToList(), kv.Value.Gap,
                    kv.Key.Kind is "Deployment" or "StatefulSet" or "DaemonSet", NoteFor(kv.Key.Kind)))
                .ToList();
        }

        private static string? NoteFor(string kind) => kind switch
        {
            "Pod" => "bare pod: recreated only by deleting it (-Restart -Force); it does not come back by itself",
            "ReplicaSet" => "ReplicaSet without a Deployment: delete its pods to recreate them",
            "Job" => "job pods get the sidecars on the job's next run",
            "Deployment" or "StatefulSet" or "DaemonSet" => null,
            _ => $"owned by a {kind}: restart it with its own tooling",
        };

        private static (string Kind, string Name)? Controller(JsonObject obj)
        {
            if (obj["metadata"]?["ownerReferences"] is not JsonArray owners) return null;
            foreach (var o in owners)
            {
                if (o is JsonObject oo && oo["controller"] is JsonValue v && v.TryGetValue<bool>(out var isController) && isController)
                {
                    return (JsonFields.GetString(oo, "kind") ?? "", JsonFields.GetString(oo, "name") ?? "");
                }
            }
            return null;
        }
    }
}
