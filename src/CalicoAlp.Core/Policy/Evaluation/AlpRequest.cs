using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>A request to evaluate (the fields of an ext_authz CheckRequest Dikastes uses, plus the workloads owning the IPs).</summary>
    public sealed record AlpRequest
    {
        /// <summary>Source SPIFFE principal; "" = plaintext. For ingress this is the peer certificate URI.</summary>
        public string SourcePrincipal { get; init; } = "";
        /// <summary>Destination principal; null = derived from <see cref="DestinationWorkload"/> (or plaintext when none).</summary>
        public string? DestinationPrincipal { get; init; }
        public System.Net.IPAddress? SourceIP { get; init; }
        public int SourcePort { get; init; }
        /// <summary>The Calico workload owning the source IP, or null for an address outside the cluster.</summary>
        public WorkloadInfo? SourceWorkload { get; init; }
        public System.Net.IPAddress? DestinationIP { get; init; }
        public int DestinationPort { get; init; }
        public WorkloadInfo? DestinationWorkload { get; init; }
        /// <summary>Profiles of the local endpoint, in order; null = what Calico gives a Kubernetes pod: [kns.&lt;ns&gt;, ksa.&lt;ns&gt;.&lt;sa&gt;].</summary>
        public IReadOnlyList<string>? Profiles { get; init; }
        /// <summary>IP protocol number (6 = TCP).</summary>
        public int Protocol { get; init; } = 6;
        /// <summary>HTTP method; null with <see cref="Path"/> null = a non-HTTP TCP connection check.</summary>
        public string? Method { get; init; }
        public string? Path { get; init; }
        /// <summary>Ingress: judged by the destination's ingress policy (what Dikastes does). Egress: by the source's egress policy.</summary>
        public TrafficDirection Direction { get; init; } = TrafficDirection.Ingress;
    }
}
