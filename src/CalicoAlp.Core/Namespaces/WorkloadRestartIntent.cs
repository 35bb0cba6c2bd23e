using System;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Changes;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Namespaces
{
    /// <summary>
    /// Recreates a workload's pods: a rolling restart the way <c>kubectl rollout restart</c> does it (the pod-template
    /// annotation <c>kubectl.kubernetes.io/restartedAt</c>; nothing else changes) for Deployments, StatefulSets and
    /// DaemonSets, or the deletion of a bare pod (guarded by its resourceVersion).
    /// </summary>
    public sealed class WorkloadRestartIntent : ResourceIntent<JsonObject>
    {
        public const string RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt";
        private readonly string _timestamp;

        private JsonObject? _preRead;

        /// <param name="preRead">The workload as just listed: the first plan uses it instead of a GET (a 409 re-reads).
        /// Null: the first plan reads it (a missing workload is then "Gone already").</param>
        public WorkloadRestartIntent(WorkloadGap workload, DateTimeOffset now, JsonObject? preRead = null)
        {
            Workload = workload;
            Type = TypeOf(workload.Kind);
            _preRead = preRead;
            _timestamp = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        }

        /// <summary>The API resource of a restartable workload kind (Deployment, StatefulSet, DaemonSet, Pod).</summary>
        public static ResourceType TypeOf(string kind) => kind switch
        {
            "Deployment" => ResourceType.Deployment,
            "StatefulSet" => ResourceType.StatefulSet,
            "DaemonSet" => ResourceType.DaemonSet,
            "Pod" => ResourceType.Pod,
            _ => throw new ArgumentException($"{kind} cannot be restarted", nameof(kind)),
        };

        public WorkloadGap Workload { get; }
        public override ResourceType Type { get; }
        public override string? Namespace => Workload.Namespace;
        public override string Name => Workload.Name;

        public override async Task<ResourcePlan<JsonObject>> PlanAsync(KubeApi api, CancellationToken ct)
        {
            var current = System.Threading.Interlocked.Exchange(ref _preRead, null) ?? await api.GetAsync(Type, Namespace, Name, ct).ConfigureAwait(false);
            if (current == null)
            {
                return new ResourcePlan<JsonObject>(this, ChangeAction.Unchanged, Array.Empty<FieldChange>(), null, null, "Gone already.");
            }
            var rv = JsonFields.GetString(current, "metadata", "resourceVersion");
            if (Type == ResourceType.Pod)
            {
                return new ResourcePlan<JsonObject>(this, ChangeAction.Deleted, Array.Empty<FieldChange>(), current, null, "Bare pod deleted; it is not recreated by any controller.")
                {
                    Summary = $"Delete bare pod ({Workload.Gap})",
                };
            }
            var before = JsonFields.GetString(current, "spec", "template", "metadata", "annotations", RestartedAtAnnotation);
            var patch = new JsonObject
            {
                ["metadata"] = new JsonObject { ["resourceVersion"] = rv },
                ["spec"] = new JsonObject
                {
                    ["template"] = new JsonObject
                    {
                        ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [RestartedAtAnnotation] = _timestamp } },
                    },
                },
            };
            var change = new FieldChange($"spec.template.metadata.annotations.{RestartedAtAnnotation}",
                before == null ? null : JsonValue.Create(before).ToJsonString(), JsonValue.Create(_timestamp).ToJsonString());
            return new ResourcePlan<JsonObject>(this, ChangeAction.Updated, new[] { change }, current, patch)
            {
                Summary = $"Rolling restart ({Workload.PodCount} pod(s): {Workload.Gap})",
            };
        }

        protected internal override async Task<JsonObject?> WriteAsync(KubeApi api, ResourcePlan<JsonObject> plan, bool dryRun, CancellationToken ct)
        {
            if (plan.Action == ChangeAction.Deleted)
            {
                await api.DeleteAsync(Type, Namespace, Name, JsonFields.GetString(plan.Current, "metadata", "resourceVersion"), dryRun, ct).ConfigureAwait(false);
                return null;
            }
            return await api.MergePatchAsync(Type, Namespace, Name, plan.Payload!, dryRun, ct).ConfigureAwait(false);
        }
    }
}
