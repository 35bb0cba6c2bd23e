using System;
using System.Collections.Generic;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Changes;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Alp
{
    /// <summary>
    /// spec.policySyncPathPrefix on FelixConfiguration 'default' (crd.projectcalico.org/v1, or projectcalico.org/v3 where only that serves it).
    /// Enable sets it (creating 'default' if absent) and remembers the previous value in an annotation; Disable puts
    /// the previous value back (or removes the field). Writes are merge patches carrying the resourceVersion read.
    /// </summary>
    public sealed class FelixPolicySyncIntent : ResourceIntent<JsonObject>
    {
        private readonly string? _desiredPrefix; // null: disable

        private FelixPolicySyncIntent(string? desiredPrefix, ResourceType? type)
        {
            _desiredPrefix = desiredPrefix;
            Type = type ?? ResourceType.FelixConfiguration;
        }

        /// <param name="type">The type serving felixconfigurations (PrerequisiteChecker.FelixConfigurationTypeAsync); default crd.projectcalico.org/v1.</param>
        public static FelixPolicySyncIntent Enable(string prefix, ResourceType? type = null) => new(prefix, type);
        public static FelixPolicySyncIntent Disable(ResourceType? type = null) => new(null, type);

        public override ResourceType Type { get; }
        public override string? Namespace => null;
        public override string Name => AlpConstants.FelixConfigurationName;

        public override async Task<ResourcePlan<JsonObject>> PlanAsync(KubeApi api, CancellationToken ct)
        {
            var current = await api.GetAsync(Type, null, Name, ct).ConfigureAwait(false);
            var currentPrefix = JsonFields.GetString(current, "spec", "policySyncPathPrefix");
            var previous = JsonFields.GetString(current, "metadata", "annotations", AlpConstants.PreviousPrefixAnnotation);
            if (_desiredPrefix != null)
            {
                if (current == null)
                {
                    var obj = new JsonObject
                    {
                        ["apiVersion"] = Type.ApiVersion,
                        ["kind"] = Type.Kind,
                        ["metadata"] = new JsonObject
                        {
                            ["name"] = Name,
                            ["annotations"] = new JsonObject { [AlpConstants.PreviousPrefixAnnotation] = "" },
                        },
                        ["spec"] = new JsonObject { ["policySyncPathPrefix"] = _desiredPrefix },
                    };
                    return new ResourcePlan<JsonObject>(this, ChangeAction.Created, new[] { Change(null, _desiredPrefix) }, null, obj,
                        "FelixConfiguration 'default' did not exist; calico/node normally creates it at start-up.");
                }
                if (string.Equals(currentPrefix, _desiredPrefix, StringComparison.Ordinal))
                {
                    return new ResourcePlan<JsonObject>(this, ChangeAction.Unchanged, Array.Empty<FieldChange>(), current, null);
                }
                var annotations = new JsonObject();
                if (previous == null) annotations[AlpConstants.PreviousPrefixAnnotation] = currentPrefix ?? "";
                var patch = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["resourceVersion"] = ResourceVersion(current), ["annotations"] = annotations },
                    ["spec"] = new JsonObject { ["policySyncPathPrefix"] = _desiredPrefix },
                };
                return new ResourcePlan<JsonObject>(this, ChangeAction.Updated, new[] { Change(currentPrefix, _desiredPrefix) }, current, patch);
            }

            // Disable: restore what was there before Enable, or switch policy sync off.
            if (current == null)
            {
                return new ResourcePlan<JsonObject>(this, ChangeAction.Unchanged, Array.Empty<FieldChange>(), null, null, "FelixConfiguration 'default' does not exist.");
            }
            var restore = string.IsNullOrEmpty(previous) ? null : previous;
            if (previous == null)
            {
                // Not enabled by CalicoAlp (no annotation): switch off the ALP prefix as Calico's docs set it, but leave
                // any other value alone — it is someone else's configuration (and a second Disable must not touch it).
                if (string.IsNullOrEmpty(currentPrefix))
                {
                    return new ResourcePlan<JsonObject>(this, ChangeAction.Unchanged, Array.Empty<FieldChange>(), current, null);
                }
                if (!string.Equals(currentPrefix, AlpConstants.DefaultPolicySyncPathPrefix, StringComparison.Ordinal))
                {
                    return new ResourcePlan<JsonObject>(this, ChangeAction.Unchanged, Array.Empty<FieldChange>(), current, null,
                        $"policySyncPathPrefix '{currentPrefix}' was not set by CalicoAlp; left as it is.");
                }
            }
            var undo = new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["resourceVersion"] = ResourceVersion(current),
                    ["annotations"] = new JsonObject { [AlpConstants.PreviousPrefixAnnotation] = null },
                },
                ["spec"] = new JsonObject { ["policySyncPathPrefix"] = restore },
            };
            var changes = new List<FieldChange>();
            if (!string.Equals(currentPrefix ?? "", restore ?? "", StringComparison.Ordinal)) changes.Add(Change(currentPrefix, restore));
            return new ResourcePlan<JsonObject>(this, ChangeAction.Updated, changes, current, undo,
                restore == null ? "Policy sync switched off." : $"Previous prefix '{restore}' restored.");
        }

        protected internal override async Task<JsonObject?> WriteAsync(KubeApi api, ResourcePlan<JsonObject> plan, bool dryRun, CancellationToken ct)
        {
            if (plan.Action == ChangeAction.Created)
            {
                return await api.CreateAsync(Type, null, plan.Payload!, dryRun, ct).ConfigureAwait(false);
            }
            return await api.MergePatchAsync(Type, null, Name, plan.Payload!, dryRun, ct).ConfigureAwait(false);
        }

        private static FieldChange Change(string? before, string? after) =>
            new("spec.policySyncPathPrefix", before == null ? null : JsonValue.Create(before).ToJsonString(), after == null ? null : JsonValue.Create(after).ToJsonString());

        internal static string ResourceVersion(JsonObject obj) =>
            JsonFields.GetString(obj, "metadata", "resourceVersion") ?? throw new InvalidOperationException("object without resourceVersion");
    }
}
