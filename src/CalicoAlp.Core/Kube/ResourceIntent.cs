using System.Collections.Generic;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Kube
{
    /// <summary>
    /// The desired state of one resource. Planning reads the cluster and computes the change; writing performs it,
    /// guarded by the resourceVersion read during planning. The split lets the cmdlet ask ShouldProcess (on the
    /// pipeline thread) between the two.
    /// </summary>
    public abstract class ResourceIntent
    {
        public abstract ResourceType Type { get; }
        public abstract string? Namespace { get; }
        public abstract string Name { get; }

        public abstract Task<ResourcePlan> PlanAsync(KubeApi api, CancellationToken ct);

        /// <summary>Performs the planned write; returns the object as the server stored it (null after a delete).</summary>
        protected internal abstract Task<JsonObject?> WriteAsync(KubeApi api, ResourcePlan plan, bool dryRun, CancellationToken ct);

        public string Display => $"{Type.Kind} {(Namespace == null ? "" : Namespace + "/")}{Name}";
    }

    /// <summary>A computed change for one resource.</summary>
    public sealed class ResourcePlan
    {
        public ResourcePlan(ResourceIntent intent, ChangeAction action, IReadOnlyList<FieldChange> changes, JsonObject? current, JsonObject? payload, string? message = null)
        {
            Intent = intent;
            Action = action;
            Changes = changes;
            Current = current;
            Payload = payload;
            Message = message;
        }

        public ResourceIntent Intent { get; }
        public ChangeAction Action { get; }
        public IReadOnlyList<FieldChange> Changes { get; }
        public JsonObject? Current { get; }
        public JsonObject? Payload { get; }
        public string? Message { get; }
        public bool IsWrite => Action is ChangeAction.Created or ChangeAction.Updated or ChangeAction.Deleted;

        /// <summary>The ShouldProcess action text, e.g. "Update (spec.policySyncPathPrefix: "" -> "/var/run/nodeagent")".</summary>
        public string Describe()
        {
            var verb = Action switch
            {
                ChangeAction.Created => "Create",
                ChangeAction.Updated => "Update",
                ChangeAction.Deleted => "Delete",
                _ => Action.ToString(),
            };
            if (Changes.Count == 0) return verb;
            var parts = new List<string>();
            foreach (var c in Changes) parts.Add(c.ToString());
            return $"{verb} ({string.Join("; ", parts)})";
        }
    }

    /// <summary>Runs planned writes; on a 409 it re-reads, re-plans and writes again (the other writer's changes survive).</summary>
    public static class IntentExecutor
    {
        public const int MaxConflictRetries = 5;

        public static async Task<ResourceChange> ApplyAsync(KubeApi api, ResourcePlan plan, bool dryRun, CancellationToken ct)
        {
            var intent = plan.Intent;
            for (var attempt = 0; ; attempt++)
            {
                if (!plan.IsWrite)
                {
                    return ToResult(api, plan, plan.Current);
                }
                try
                {
                    var written = await intent.WriteAsync(api, plan, dryRun, ct).ConfigureAwait(false);
                    return ToResult(api, plan, written);
                }
                catch (KubeConflictException ex) when (attempt < MaxConflictRetries)
                {
                    api.Log.Verbose($"{intent.Display}: {ex.Message} Re-reading and applying again ({attempt + 1}/{MaxConflictRetries}).");
                    plan = await intent.PlanAsync(api, ct).ConfigureAwait(false);
                }
                catch (KubeConflictException ex)
                {
                    throw new AlpException("ConcurrentModification", AlpErrorKind.ResourceBusy,
                        $"{intent.Display} kept changing under us ({MaxConflictRetries + 1} attempts); nothing was overwritten. {ex.Message}", ex.Target, ex);
                }
            }
        }

        public static ResourceChange ToResult(KubeApi api, ResourcePlan plan, JsonObject? obj)
        {
            var intent = plan.Intent;
            return new ResourceChange(api.ContextName, api.Kubeconfig, intent.Type.ApiVersion, intent.Type.Kind, intent.Namespace, intent.Name,
                plan.Action, plan.Changes, plan.Message)
            {
                ResourceVersion = Json.JsonDiff.GetString(obj, "metadata", "resourceVersion"),
            };
        }
    }
}
