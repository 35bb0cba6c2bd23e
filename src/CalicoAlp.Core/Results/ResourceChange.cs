using System;
using System.Collections.Generic;
using System.Linq;

namespace CalicoAlp.Core.Results
{
    /// <summary>
    /// The typed result the mutating cmdlets emit, one per resource. Context and Kubeconfig bind by property name to
    /// the next cmdlet's -Context and -Kubeconfig, so results compose in a pipeline.
    /// </summary>
    public sealed class ResourceChange
    {
        public ResourceChange(string context, string? kubeconfig, string apiVersion, string kind, string? ns, string name,
            ChangeAction action, IReadOnlyList<FieldChange> changes, string? message = null)
        {
            Context = context;
            Kubeconfig = kubeconfig;
            ApiVersion = apiVersion;
            Kind = kind;
            Namespace = ns;
            Name = name;
            Action = action;
            Changes = changes;
            Message = message;
        }

        public string Context { get; }
        public string? Kubeconfig { get; }
        public string ApiVersion { get; }
        public string Kind { get; }
        public string? Namespace { get; }
        public string Name { get; }
        public ChangeAction Action { get; }
        public IReadOnlyList<FieldChange> Changes { get; }
        public string? Message { get; }
        /// <summary>The resourceVersion the object had after the write (or as read when unchanged).</summary>
        public string? ResourceVersion { get; init; }
        /// <summary>True when the change was only validated by a server-side dry run (-WhatIf): nothing was written.</summary>
        public bool WhatIf { get; init; }

        /// <summary>A one-line summary of the field changes (for the table view).</summary>
        public string ChangeSummary => Changes.Count == 0 ? (Message ?? "") : string.Join("; ", Changes.Select(c => c.ToString()));

        public override string ToString() => $"{Action} {Kind} {(Namespace == null ? "" : Namespace + "/")}{Name}";
    }
}
