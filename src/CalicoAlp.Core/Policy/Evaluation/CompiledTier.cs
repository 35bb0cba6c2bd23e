using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    internal sealed class CompiledTier
    {
        public required string Name { get; init; }
        /// <summary>Position in the compiled set's tier order.</summary>
        public required int Id { get; init; }
        public double? Order { get; init; }
        public RuleAction DefaultAction { get; init; }
        public CompiledPolicy[] Policies { get; init; } = [];
    }
}
