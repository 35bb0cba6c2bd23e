using System.Collections.Generic;
using System.Text.Json.Nodes;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Changes
{
    /// <summary>A computed change for one resource (immutable). <see cref="ResourcePlan{TPayload}"/> adds its payload.</summary>
    public abstract class ResourcePlan
    {
        protected ResourcePlan(ResourceIntent intent, ChangeAction action, IReadOnlyList<FieldChange> changes, JsonObject? current, string? message)
        {
            Intent = intent;
            Action = action;
            Changes = changes;
            Current = current;
            Message = message;
        }

        /// <summary>The intent this plan was made for.</summary>
        public ResourceIntent Intent { get; }
        public ChangeAction Action { get; }
        public IReadOnlyList<FieldChange> Changes { get; }
        /// <summary>The object as read while planning (null: absent).</summary>
        public JsonObject? Current { get; }
        public string? Message { get; }
        /// <summary>Replaces the generated confirmation text, e.g. "Rolling restart (2 pod(s): NoSidecar)".</summary>
        public string? Summary { get; init; }
        /// <summary>Shown with the confirmation and under -WhatIf, e.g. a unified diff.</summary>
        public string? Details { get; init; }
        public bool IsWrite => Action is ChangeAction.Created or ChangeAction.Updated or ChangeAction.Deleted;

        /// <summary>The ShouldProcess action text, e.g. "Update (spec.policySyncPathPrefix: "" -> "/var/run/nodeagent")".</summary>
        public string Describe()
        {
            if (Summary != null) return Summary;
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
}
