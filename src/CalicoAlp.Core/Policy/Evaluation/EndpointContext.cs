using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>A Calico endpoint as seen by Felix: its endpoint labels, IP-set memberships and the tiers that apply to it.</summary>
    public sealed class EndpointContext
    {
        internal EndpointContext(WorkloadInfo workload, IReadOnlyDictionary<string, string> labels, bool[] membership, TierView[] tiers)
        {
            Workload = workload;
            Labels = labels;
            Membership = membership;
            Tiers = tiers;
        }

        public WorkloadInfo Workload { get; }
        /// <summary>Endpoint labels (pod labels + projectcalico.org/* + pcns.* + pcsa.*).</summary>
        public IReadOnlyDictionary<string, string> Labels { get; }
        internal bool[] Membership { get; }
        internal TierView[] Tiers { get; }
        /// <summary>Rule-index bitsets of this endpoint (the rules of the policies that apply, per direction), filled on first use.</summary>
        internal ulong[]?[] IndexBits { get; } = new ulong[]?[2];
        /// <summary>Rule-index candidate lists of this endpoint (IP-set criteria, per direction and side), filled on first use.</summary>
        internal int[]?[] IndexLists { get; } = new int[]?[RuleIndex.PeerSlots];
        /// <summary>The profiles Calico gives this Kubernetes endpoint (kns.&lt;ns&gt;, ksa.&lt;ns&gt;.&lt;sa&gt;), resolved on first use.</summary>
        internal CompiledProfile[]? DefaultProfiles;
        /// <summary>The peer identity of the workload (from its SPIFFE principal), resolved on first use.</summary>
        internal Peer? WorkloadPeer;
    }
}
