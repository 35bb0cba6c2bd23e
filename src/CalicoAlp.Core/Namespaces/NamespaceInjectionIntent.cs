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
    /// The namespace label that makes Istio inject sidecars: <c>istio-injection=enabled</c> (Add) or no label (Remove).
    /// A namespace explicitly labelled <c>disabled</c>, or using a revision label (<c>istio.io/rev</c>), is someone's
    /// decision: it is reported and only changed when forced (forcing also drops the revision label, which the
    /// istio-injection label would otherwise contradict).
    /// With a revision (-Revision): Add sets <c>istio.io/rev=&lt;rev&gt;</c> and drops <c>istio-injection</c> (Istio's
    /// webhooks ignore istio.io/rev on a namespace that has istio-injection); Remove drops <c>istio.io/rev=&lt;rev&gt;</c>.
    /// </summary>
    public sealed class NamespaceInjectionIntent : ResourceIntent<JsonObject>
    {
        public const string InjectionLabel = "istio-injection";
        public const string RevisionLabel = "istio.io/rev";
        private readonly bool _enable;
        private readonly bool _force;

        private JsonObject? _preRead;

        /// <param name="preRead">The namespace as just listed: the first plan uses it instead of a GET (a 409 re-reads).</param>
        private readonly string? _revision;

        public NamespaceInjectionIntent(string ns, bool enable, bool force, JsonObject? preRead = null, string? revision = null)
        {
            Name = ns;
            _preRead = preRead;
            _enable = enable;
            _force = force;
            _revision = revision;
        }

        public override ResourceType Type => ResourceType.Namespace;
        public override string? Namespace => null;
        public override string Name { get; }

        public override async Task<ResourcePlan<JsonObject>> PlanAsync(KubeApi api, CancellationToken ct)
        {
            var current = Interlocked.Exchange(ref _preRead, null) ?? await api.GetAsync(Type, null, Name, ct).ConfigureAwait(false)
                ?? throw new Diagnostics.AlpException("NamespaceNotFound", Diagnostics.AlpErrorKind.ObjectNotFound, $"Namespace '{Name}' does not exist.", Name);
            var label = JsonFields.GetString(current, "metadata", "labels", InjectionLabel);
            var revision = JsonFields.GetString(current, "metadata", "labels", RevisionLabel);
            var rv = JsonFields.GetString(current, "metadata", "resourceVersion");
            var labelsPatch = new JsonObject();
            var changes = new System.Collections.Generic.List<FieldChange>();
            if (_revision != null)
            {
                var plan = PlanRevision(current, label, revision, rv);
                if (plan != null) return plan;
            }
            else if (_enable)
            {
                if (label == "enabled" && revision == null)
                {
                    return new ResourcePlan<JsonObject>(this, ChangeAction.Unchanged, Array.Empty<FieldChange>(), current, null);
                }
                if (!_force && label == "disabled")
                {
                    return new ResourcePlan<JsonObject>(this, ChangeAction.Skipped, Array.Empty<FieldChange>(), current, null,
                        $"Namespace '{Name}' is labelled {InjectionLabel}=disabled on purpose; use -Force to enable injection.");
                }
                if (!_force && revision != null)
                {
                    return new ResourcePlan<JsonObject>(this, ChangeAction.Skipped, Array.Empty<FieldChange>(), current, null,
                        $"Namespace '{Name}' uses the Istio revision label {RevisionLabel}={revision}; use -Force to switch it to {InjectionLabel}=enabled.");
                }
                if (label != "enabled")
                {
                    labelsPatch[InjectionLabel] = "enabled";
                    changes.Add(new FieldChange($"metadata.labels.{InjectionLabel}", Quote(label), "\"enabled\""));
                }
                if (revision != null)
                {
                    labelsPatch[RevisionLabel] = null;
                    changes.Add(new FieldChange($"metadata.labels.{RevisionLabel}", Quote(revision), null));
                }
            }
            else
            {
                if (revision != null && !_force)
                {
                    return new ResourcePlan<JsonObject>(this, ChangeAction.Skipped, Array.Empty<FieldChange>(), current, null,
                        $"Namespace '{Name}' is injected through the Istio revision label {RevisionLabel}={revision}; use -Force to remove it.");
                }
                if (label is "enabled")
                {
                    labelsPatch[InjectionLabel] = null;
                    changes.Add(new FieldChange($"metadata.labels.{InjectionLabel}", Quote(label), null));
                }
                if (revision != null)
                {
                    labelsPatch[RevisionLabel] = null;
                    changes.Add(new FieldChange($"metadata.labels.{RevisionLabel}", Quote(revision), null));
                }
                if (changes.Count == 0)
                {
                    // No label, or an explicit istio-injection=disabled: the namespace is already out of the mesh.
                    return new ResourcePlan<JsonObject>(this, ChangeAction.Unchanged, Array.Empty<FieldChange>(), current, null);
                }
            }
            var patch = new JsonObject { ["metadata"] = new JsonObject { ["resourceVersion"] = rv, ["labels"] = labelsPatch } };
            return new ResourcePlan<JsonObject>(this, ChangeAction.Updated, changes, current, patch);
        }

        /// <summary>The -Revision plan (null only never: every branch decides).</summary>
        private ResourcePlan<JsonObject>? PlanRevision(JsonObject current, string? label, string? revision, string? rv)
        {
            var rev = _revision!;
            var labelsPatch = new JsonObject();
            var changes = new System.Collections.Generic.List<FieldChange>();
            if (_enable)
            {
                if (revision == rev && label == null)
                {
                    return new ResourcePlan<JsonObject>(this, ChangeAction.Unchanged, Array.Empty<FieldChange>(), current, null);
                }
                if (!_force && label == "disabled")
                {
                    return new ResourcePlan<JsonObject>(this, ChangeAction.Skipped, Array.Empty<FieldChange>(), current, null,
                        $"Namespace '{Name}' is labelled {InjectionLabel}=disabled on purpose; use -Force to enable injection.");
                }
                if (!_force && revision != null && revision != rev)
                {
                    return new ResourcePlan<JsonObject>(this, ChangeAction.Skipped, Array.Empty<FieldChange>(), current, null,
                        $"Namespace '{Name}' uses the Istio revision label {RevisionLabel}={revision}; use -Force to switch it to {RevisionLabel}={rev}.");
                }
                if (revision != rev)
                {
                    labelsPatch[RevisionLabel] = rev;
                    changes.Add(new FieldChange($"metadata.labels.{RevisionLabel}", Quote(revision), Quote(rev)));
                }
                if (label != null)
                {
                    // Istio's webhooks ignore istio.io/rev on a namespace that has istio-injection: it must go.
                    labelsPatch[InjectionLabel] = null;
                    changes.Add(new FieldChange($"metadata.labels.{InjectionLabel}", Quote(label), null));
                }
            }
            else
            {
                if (revision != null && revision != rev && !_force)
                {
                    return new ResourcePlan<JsonObject>(this, ChangeAction.Skipped, Array.Empty<FieldChange>(), current, null,
                        $"Namespace '{Name}' is injected through {RevisionLabel}={revision}, not revision '{rev}'; use -Force to remove it.");
                }
                if (revision != null)
                {
                    labelsPatch[RevisionLabel] = null;
                    changes.Add(new FieldChange($"metadata.labels.{RevisionLabel}", Quote(revision), null));
                }
                if (label is "enabled")
                {
                    labelsPatch[InjectionLabel] = null;
                    changes.Add(new FieldChange($"metadata.labels.{InjectionLabel}", Quote(label), null));
                }
                if (changes.Count == 0)
                {
                    return new ResourcePlan<JsonObject>(this, ChangeAction.Unchanged, Array.Empty<FieldChange>(), current, null);
                }
            }
            var patch = new JsonObject { ["metadata"] = new JsonObject { ["resourceVersion"] = rv, ["labels"] = labelsPatch } };
            return new ResourcePlan<JsonObject>(this, ChangeAction.Updated, changes, current, patch);
        }

        protected internal override Task<JsonObject?> WriteAsync(KubeApi api, ResourcePlan<JsonObject> plan, bool dryRun, CancellationToken ct) =>
            WriteCoreAsync(api, plan, dryRun, ct);

        private async Task<JsonObject?> WriteCoreAsync(KubeApi api, ResourcePlan<JsonObject> plan, bool dryRun, CancellationToken ct) =>
            await api.MergePatchAsync(Type, null, Name, plan.Payload!, dryRun, ct).ConfigureAwait(false);

        private static string? Quote(string? s) => s == null ? null : JsonValue.Create(s).ToJsonString();
    }
}
