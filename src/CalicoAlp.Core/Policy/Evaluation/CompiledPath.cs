using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    internal readonly struct CompiledPath
    {
        public CompiledPath(bool exact, string? value)
        {
            Exact = exact;
            Value = value;
        }

        public bool Exact { get; }
        /// <summary>Rule path as compared (normalised in the baseline); null = can never match.</summary>
        public string? Value { get; }
    }
}
