using System.Collections.Generic;
using System.Text.Json.Nodes;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Changes
{
    /// <summary>A computed change with its typed payload: what the write sends, and whatever the result needs later.</summary>
    public sealed class ResourcePlan<TPayload> : ResourcePlan
    {
        public ResourcePlan(ResourceIntent<TPayload> intent, ChangeAction action, IReadOnlyList<FieldChange> changes, JsonObject? current, TPayload? payload, string? message = null)
            : base(intent, action, changes, current, message)
        {
            Intent = intent;
            Payload = payload;
        }

        /// <summary>The intent, typed: it re-plans and writes this plan.</summary>
        public new ResourceIntent<TPayload> Intent { get; }
        /// <summary>What the write needs (default when nothing is written).</summary>
        public TPayload? Payload { get; }
    }
}
