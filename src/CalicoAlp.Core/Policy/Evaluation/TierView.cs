using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>A tier as sent for one endpoint: the policies of that tier that select it, per direction.</summary>
    internal sealed class TierView
    {
        public required CompiledTier Tier;
        public CompiledPolicy[] Ingress = [];
        public CompiledPolicy[] Egress = [];
        /// <summary>At least one of the direction's policies is enforced (not a staged policy that this release ignores).</summary>
        public bool IngressEnforced, EgressEnforced;
    }
}
