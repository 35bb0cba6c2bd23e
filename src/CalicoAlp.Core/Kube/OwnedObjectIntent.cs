using System;
using System.Collections.Generic;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Changes;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Kube
{
    /// <summary>
    /// An object whose spec CalicoAlp owns (e.g. the authorization-service ServiceEntry). Present: it is created, or
    /// its spec is replaced (PUT with the resourceVersion read) when it differs; other metadata is kept. Absent: it is
    /// deleted (conditional on the resourceVersion) when it carries our managed-by label or still has the spec we
    /// write; an object someone else changed is skipped unless forced.
    /// </summary>
    public sealed class OwnedObjectIntent : ResourceIntent<JsonObject>
    {
        private readonly JsonObject _desired;
        private readonly bool _present;
        private readonly bool _force;

        private OwnedObjectIntent(ResourceType type, JsonObject desired, bool present, bool force)
        {
            Type = type;
            _desired = desired;
            _present = present;
            _force = force;
            Name = JsonFields.GetString(desired, "metadata", "name") ?? throw new ArgumentException("desired object has no name");
            Namespace = type.Namespaced ? JsonFields.GetString(desired, "metadata", "namespace") : null;
        }

        public static OwnedObjectIntent Present(ResourceType type, JsonObject desired) => new(type, desired, true, false);
        public static OwnedObjectIntent Absent(ResourceType type, JsonObject desired, bool force) => new(type, desired, false, force);

        public override ResourceType Type { get; }
        public override string? Namespace { get; }
        public override string Name { get; }

        public override async Task<ResourcePlan<JsonObject>> PlanAsync(KubeApi api, CancellationToken ct)
        {
            var current = await api.GetAsync(Type, Namespace, Name, ct).ConfigureAwait(false);
            var desiredSpec = _desired["spec"];
            if (_present)
            {
                if (current == null)
                {
                    var obj = (JsonObject)_desired.DeepClone();
                    var labels = JsonFields.EnsureObject(JsonFields.EnsureObject(obj, "metadata"), "labels");
                    labels[AlpConstants.ManagedByLabel] = AlpConstants.ManagedByValue;
                    return new ResourcePlan<JsonObject>(this, ChangeAction.Created, JsonDiff.Compare(null, desiredSpec, "spec"), null, obj);
                }
                var changes = JsonDiff.Compare(current["spec"], desiredSpec, "spec");
                var hasLabel = JsonFields.GetString(current, "metadata", "labels", AlpConstants.ManagedByLabel) == AlpConstants.ManagedByValue;
                if (changes.Count == 0 && hasLabel)
                {
                    return new ResourcePlan<JsonObject>(this, ChangeAction.Unchanged, Array.Empty<FieldChange>(), current, null);
                }
                var updated = (JsonObject)current.DeepClone();
                updated["spec"] = desiredSpec?.DeepClone();
                var meta = JsonFields.EnsureObject(updated, "metadata");
                JsonFields.EnsureObject(meta, "labels")[AlpConstants.ManagedByLabel] = AlpConstants.ManagedByValue;
                meta.Remove("managedFields");
                if (!hasLabel)
                {
                    changes.Add(new FieldChange($"metadata.labels.{AlpConstants.ManagedByLabel}", null, $"\"{AlpConstants.ManagedByValue}\""));
                }
                return new ResourcePlan<JsonObject>(this, ChangeAction.Updated, changes, current, updated);
            }

            if (current == null)
            {
                return new ResourcePlan<JsonObject>(this, ChangeAction.Unchanged, Array.Empty<FieldChange>(), null, null, "Already absent.");
            }
            var ours = JsonFields.GetString(current, "metadata", "labels", AlpConstants.ManagedByLabel) == AlpConstants.ManagedByValue
                       || JsonDiff.DeepEquals(current["spec"], desiredSpec);
            if (!ours && !_force)
            {
                return new ResourcePlan<JsonObject>(this, ChangeAction.Skipped, Array.Empty<FieldChange>(), current, null,
                    "Not deleted: it was not created by CalicoAlp and its spec differs from Calico's; use -Force to delete it anyway.");
            }
            return new ResourcePlan<JsonObject>(this, ChangeAction.Deleted, JsonDiff.Compare(current["spec"], null, "spec"), current, null);
        }

        protected internal override async Task<JsonObject?> WriteAsync(KubeApi api, ResourcePlan<JsonObject> plan, bool dryRun, CancellationToken ct)
        {
            switch (plan.Action)
            {
                case ChangeAction.Created:
                    return await api.CreateAsync(Type, Namespace, plan.Payload!, dryRun, ct).ConfigureAwait(false);
                case ChangeAction.Updated:
                    return await api.ReplaceAsync(Type, Namespace, plan.Payload!, dryRun, ct).ConfigureAwait(false);
                case ChangeAction.Deleted:
                    var rv = JsonFields.GetString(plan.Current, "metadata", "resourceVersion");
                    await api.DeleteAsync(Type, Namespace, Name, rv, dryRun, ct).ConfigureAwait(false);
                    return null;
                default:
                    return plan.Current;
            }
        }
    }
}
