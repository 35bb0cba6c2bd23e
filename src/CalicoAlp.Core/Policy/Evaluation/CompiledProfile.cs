using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    internal sealed class CompiledProfile
    {
        public required string Name { get; init; }
        public CompiledRule[] Ingress { get; init; } = [];
        public CompiledRule[] Egress { get; init; } = [];
        public RuleFilter[] IngressFilters { get; init; } = [];
        public RuleFilter[] EgressFilters { get; init; } = [];
    }
}
