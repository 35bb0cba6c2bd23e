using System;
using System.Collections.Generic;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Changes;
using CalicoAlp.Core.Diagnostics;
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
        private readonly bool _rememberPrevious;
        private readonly Func<JsonNode?, bool>? _isCalicoSpec;

        private OwnedObjectIntent(ResourceType type, JsonObject desired, bool present, bool force, bool rememberPrevious, Func<JsonNode?, bool>? isCalicoSpec)
        {
            Type = type;
            _desired = desired;
            _present = present;
            _force = force;
            _rememberPrevious = rememberPrevious;
            _isCalicoSpec = isCalicoSpec;
            Name = JsonFields.GetString(desired, "metadata", "name") ?? throw new ArgumentException("desired object has no name");
            Namespace = type.Namespaced ? JsonFields.GetString(desired, "metadata", "namespace") : null;
        }

        /// <param name="rememberPrevious">
        /// When an existing object's spec is replaced, keep the spec it had (and whether it carried our label) in the
        /// annotation <see cref="AlpConstants.PreviousSpecAnnotation"/>, once: the undo puts it back instead of deleting
        /// (the ext-authz EnvoyFilter of an earlier generation's form).
        /// </param>
        public static OwnedObjectIntent Present(ResourceType type, JsonObject desired, bool rememberPrevious = false) => new(type, desired, true, false, rememberPrevious, null);

        /// <param name="isCalicoSpec">Also counts as ours: a spec this says is one of Calico's (any generation's form); default: equal to desired's spec.</param>
        public static OwnedObjectIntent Absent(ResourceType type, JsonObject desired, bool force, Func<JsonNode?, bool>? isCalicoSpec = null) => new(type, desired, false, force, false, isCalicoSpec);

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
                if (_rememberPrevious && changes.Count > 0 && JsonFields.GetString(current, "metadata", "annotations", AlpConstants.PreviousSpecAnnotation) == null)
                {
                    var previous = new JsonObject { ["labelled"] = hasLabel, ["spec"] = current["spec"]?.DeepClone() };
                    var text = previous.ToJsonString();
                    JsonFields.EnsureObject(meta, "annotations")[AlpConstants.PreviousSpecAnnotation] = text;
                    changes.Add(new FieldChange($"metadata.annotations.{AlpConstants.PreviousSpecAnnotation}", null, JsonValue.Create(text).ToJsonString()));
                }
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
            var previousText = JsonFields.GetString(current, "metadata", "annotations", AlpConstants.PreviousSpecAnnotation);
            if (previousText != null)
            {
                return RestorePrevious(current, previousText);
            }
            var ours = JsonFields.GetString(current, "metadata", "labels", AlpConstants.ManagedByLabel) == AlpConstants.ManagedByValue
                       || JsonDiff.DeepEquals(current["spec"], desiredSpec)
                       || (_isCalicoSpec?.Invoke(current["spec"]) ?? false);
            if (!ours && !_force)
            {
                return new ResourcePlan<JsonObject>(this, ChangeAction.Skipped, Array.Empty<FieldChange>(), current, null,
                    "Not deleted: it was not created by CalicoAlp and its spec differs from Calico's; use -Force to delete it anyway.");
            }
            return new ResourcePlan<JsonObject>(this, ChangeAction.Deleted, JsonDiff.Compare(current["spec"], null, "spec"), current, null);
        }

        /// <summary>Undo of an in-place replacement: the spec (and label state) kept in the annotation goes back, the annotation goes.</summary>
        private ResourcePlan<JsonObject> RestorePrevious(JsonObject current, string previousText)
        {
            JsonObject previous;
            try
            {
                previous = JsonNode.Parse(previousText) as JsonObject ?? throw new System.Text.Json.JsonException("not an object");
            }
            catch (System.Text.Json.JsonException ex)
            {
                throw new AlpException("PreviousSpecUnreadable", AlpErrorKind.InvalidData,
                    $"{Display}: annotation {AlpConstants.PreviousSpecAnnotation} is not the JSON CalicoAlp wrote ({ex.Message}); the previous spec cannot be restored.",
                    $"{Type.FullName}/{Name}", ex)
                { RecommendedAction = $"Fix or remove the annotation (kubectl annotate {Type.FullName} -n {Namespace} {Name} {AlpConstants.PreviousSpecAnnotation}-), then run Disable again." };
            }
            var restored = (JsonObject)current.DeepClone();
            restored["spec"] = previous["spec"]?.DeepClone();
            var meta = JsonFields.EnsureObject(restored, "metadata");
            meta.Remove("managedFields");
            if (meta["annotations"] is JsonObject ann)
            {
                ann.Remove(AlpConstants.PreviousSpecAnnotation);
                if (ann.Count == 0) meta.Remove("annotations");
            }
            var changes = JsonDiff.Compare(current["spec"], restored["spec"], "spec");
            changes.Add(new FieldChange($"metadata.annotations.{AlpConstants.PreviousSpecAnnotation}", JsonValue.Create(previousText).ToJsonString(), null));
            var labelled = previous["labelled"] is JsonValue lv && lv.TryGetValue<bool>(out var b) && b;
            if (!labelled && meta["labels"] is JsonObject labels && labels.Remove(AlpConstants.ManagedByLabel))
            {
                if (labels.Count == 0) meta.Remove("labels");
                changes.Add(new FieldChange($"metadata.labels.{AlpConstants.ManagedByLabel}", $"\"{AlpConstants.ManagedByValue}\"", null));
            }
            return new ResourcePlan<JsonObject>(this, ChangeAction.Updated, changes, current, restored,
                "The spec it had before Enable replaced it (an earlier generation's form) is restored.");
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
