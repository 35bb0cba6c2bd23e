using System.Collections.Generic;
using System.Linq;
using System;

namespace CalicoAlp.Core.Results
{
    /// <summary>One field that differs between the cluster and the desired state.</summary>
    public sealed class FieldChange
    {
        public FieldChange(string path, string? before, string? after)
        {
            Path = path;
            Before = before;
            After = after;
        }

        public string Path { get; }
        /// <summary>The old value as JSON (null: absent).</summary>
        public string? Before { get; }
        /// <summary>The new value as JSON (null: removed).</summary>
        public string? After { get; }

        public override string ToString() => $"{Path}: {Before ?? "<absent>"} -> {After ?? "<removed>"}";
    }
}
