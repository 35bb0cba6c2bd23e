using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>What the pre-checks read from a prepared request, gathered once per evaluation.</summary>
    internal readonly struct RequestKey
    {
        public RequestKey(PreparedRequest q)
        {
            SrcMembership = q.Source.Endpoint?.Membership;
            DstMembership = q.Destination.Endpoint?.Membership;
            SrcPort = q.Source.Port;
            DstPort = q.Destination.Port;
            SrcHasIp = q.Source.HasIp;
            DstHasIp = q.Destination.HasIp;
            SrcIsV6 = q.Source.Ip.IsV6;
            DstIsV6 = q.Destination.Ip.IsV6;
            SrcV4 = (uint)q.Source.Ip.Value;
            DstV4 = (uint)q.Destination.Ip.Value;
            Method = q.Method;
        }

        public readonly bool[]? SrcMembership, DstMembership;
        public readonly int SrcPort, DstPort;
        public readonly bool SrcHasIp, DstHasIp, SrcIsV6, DstIsV6;
        public readonly uint SrcV4, DstV4;
        public readonly string? Method;
    }
}
