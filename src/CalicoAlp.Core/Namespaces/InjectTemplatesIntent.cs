using System;
using System.Collections.Generic;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Changes;
using CalicoAlp.Core.Generations;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Namespaces
{
    /// <summary>
    /// The Istio ≥ 1.22 method (Calico's current docs): a workload's pod template carries
    /// <c>inject.istio.io/templates: sidecar,dikastes</c> (gateways: <c>sidecar,dikastes-gateway</c>). Changing the
    /// template is itself a rolling restart, so a workload planned here needs no separate restart. Add replaces no
    /// annotation, or the stock <c>gateway</c> template of a gateway (remembered on the workload in
    /// <see cref="PreviousAnnotation"/>); a user's own templates list is kept (reported) unless forced. Remove takes the
    /// annotation off only when it is exactly what Add puts there, restoring what Add replaced.
    /// </summary>
    public sealed class InjectTemplatesIntent : ResourceIntent<JsonObject>
    {
        /// <summary>On the workload (not its pods): the templates annotation Add replaced, so Remove restores it.</summary>
        public const string PreviousAnnotation = "calicoalp.io/previous-inject-templates";
        private readonly IstioGeneration _generation;
        private readonly bool _enable;
        private readonly bool _force;
        private JsonObject? _preRead;

        public InjectTemplatesIntent(ResourceType type, JsonObject workload, IstioGeneration generation, bool enable, bool force)
        {
            Type = type;
            Namespace = JsonFields.GetString(workload, "metadata", "namespace");
            Name = JsonFields.GetString(workload, "metadata", "name") ?? "";
            Kind = type.Kind;
            _preRead = workload;
            _generation = generation;
            _enable = enable;
            _force = force;
        }

        public override ResourceType Type { get; }
        public override string? Namespace { get; }
        public override string Name { get; }
        public string Kind { get; }

        /// <summary>Pods labelled istio=ingressgateway|egressgateway or gateway.istio.io/managed, or injected with the stock gateway template.</summary>
        public static bool IsGateway(JsonObject workload)
        {
            var labels = JsonFields.StringMap(workload["spec"]?["template"]?["metadata"]?["labels"]);
            if (labels.TryGetValue("istio", out var istio) && istio is "ingressgateway" or "egressgateway") return true;
            if (labels.ContainsKey("gateway.istio.io/managed")) return true;
            var templates = JsonFields.GetString(workload, "spec", "template", "metadata", "annotations", IstioGeneration.TemplatesAnnotation);
            return templates != null && Array.Exists(templates.Split(','), t => t.Trim() == "gateway");
        }

        public override async Task<ResourcePlan<JsonObject>> PlanAsync(KubeApi api, CancellationToken ct)
        {
            var current = Interlocked.Exchange(ref _preRead, null) ?? await api.GetAsync(Type, Namespace, Name, ct).ConfigureAwait(false);
            if (current == null)
            {
                return new ResourcePlan<JsonObject>(this, ChangeAction.Unchanged, Array.Empty<FieldChange>(), null, null, "Gone already.");
            }
            var rv = JsonFields.GetString(current, "metadata", "resourceVersion");
            var now = JsonFields.GetString(current, "spec", "template", "metadata", "annotations", IstioGeneration.TemplatesAnnotation);
            var previous = JsonFields.GetString(current, "metadata", "annotations", PreviousAnnotation);
            var ours = new[] { _generation.WorkloadTemplates(false)!, _generation.WorkloadTemplates(true)! };
            string? target;
            string? keepPrevious = previous;
            if (_enable)
            {
                target = _generation.WorkloadTemplates(IsGateway(current))!;
                if (now == target) return Plan(current, ChangeAction.Unchanged, null, null);
                var replaceable = now == null || Array.IndexOf(ours, now) >= 0 || (now.Trim() == "gateway" && target == ours[1]);
                if (!replaceable && !_force)
                {
                    return Plan(current, ChangeAction.Skipped, null,
                        $"{Kind}/{Name} picks its own injection templates ({IstioGeneration.TemplatesAnnotation}: {now}); it was left as it is: add '{IstioGeneration.DikastesTemplate}' to it yourself, or use -Force to replace it with '{target}'.");
                }
                if (now != null && Array.IndexOf(ours, now) < 0) keepPrevious = now;
            }
            else
            {
                if (now == null) return Plan(current, ChangeAction.Unchanged, null, null);
                if (Array.IndexOf(ours, now) < 0)
                {
                    var message = now.Contains(IstioGeneration.DikastesTemplate, StringComparison.Ordinal)
                        ? $"{Kind}/{Name} keeps its own injection templates ({IstioGeneration.TemplatesAnnotation}: {now}): not what Add-AlpNamespace sets, so not removed."
                        : null;
                    return Plan(current, ChangeAction.Unchanged, null, message);
                }
                target = previous;
                keepPrevious = null;
            }

            var templateAnnotations = new JsonObject { [IstioGeneration.TemplatesAnnotation] = target };
            var metadata = new JsonObject { ["resourceVersion"] = rv };
            if (keepPrevious != previous) metadata["annotations"] = new JsonObject { [PreviousAnnotation] = keepPrevious };
            var patch = new JsonObject
            {
                ["metadata"] = metadata,
                ["spec"] = new JsonObject { ["template"] = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = templateAnnotations } } },
            };
            var changes = new List<FieldChange> { new($"spec.template.metadata.annotations.{IstioGeneration.TemplatesAnnotation}", Quote(now), Quote(target)) };
            if (keepPrevious != previous) changes.Add(new FieldChange($"metadata.annotations.{PreviousAnnotation}", Quote(previous), Quote(keepPrevious)));
            return new ResourcePlan<JsonObject>(this, ChangeAction.Updated, changes, current, patch)
            {
                Summary = _enable ? $"Pod template annotated {target} (rolling restart)" : $"Pod template annotation {now} removed (rolling restart)",
            };
        }

        private ResourcePlan<JsonObject> Plan(JsonObject current, ChangeAction action, JsonObject? patch, string? message) =>
            new(this, action, Array.Empty<FieldChange>(), current, patch, message);

        protected internal override async Task<JsonObject?> WriteAsync(KubeApi api, ResourcePlan<JsonObject> plan, bool dryRun, CancellationToken ct) =>
            await api.MergePatchAsync(Type, Namespace, Name, plan.Payload!, dryRun, ct).ConfigureAwait(false);

        private static string? Quote(string? s) => s == null ? null : JsonValue.Create(s).ToJsonString();
    }
}
