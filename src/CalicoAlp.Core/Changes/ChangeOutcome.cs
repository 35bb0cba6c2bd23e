using System.Text.Json.Nodes;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Changes
{
    /// <summary>What became of one plan in a <see cref="ChangeRunner"/> run (immutable).</summary>
    public sealed class ChangeOutcome<TPayload>
    {
        internal ChangeOutcome(ResourcePlan<TPayload> plan, ChangeStatus status, JsonObject? stored, bool preview)
        {
            Plan = plan;
            Status = status;
            Stored = stored;
            Preview = preview;
        }

        /// <summary>The plan as finally carried out (a 409 replaces the first plan with a fresh one).</summary>
        public ResourcePlan<TPayload> Plan { get; }
        public ChangeStatus Status { get; }
        /// <summary>The object as the server stored it (after a dry run: as it would store it; unchanged: as read; null after a delete).</summary>
        public JsonObject? Stored { get; }
        /// <summary>True when the run was a -WhatIf preview: nothing was written.</summary>
        public bool Preview { get; }

        /// <summary>Written, or (preview) validated by the API server: the change the results report.</summary>
        public bool Done => Status is ChangeStatus.Applied or ChangeStatus.Previewed;

        /// <summary>Whether the results report this plan at all (declined and refused changes are not reported as results).</summary>
        public bool Reported => Status is not (ChangeStatus.Declined or ChangeStatus.Refused);

        public string? ResourceVersion => Preview && Status == ChangeStatus.Previewed
            ? JsonFields.GetString(Plan.Current, "metadata", "resourceVersion")
            : JsonFields.GetString(Stored, "metadata", "resourceVersion");

        /// <summary>The result of Enable/Disable-CalicoAppLayerPolicy and friends for this plan.</summary>
        public ResourceChange ToResourceChange(KubeApi api)
        {
            var intent = Plan.Intent;
            return new ResourceChange(api.ContextName, api.Kubeconfig, intent.Type.ApiVersion, intent.Type.Kind, intent.Namespace, intent.Name,
                Plan.Action, Plan.Changes, Plan.Message)
            {
                ResourceVersion = ResourceVersion,
                WhatIf = Preview,
            };
        }
    }
}
