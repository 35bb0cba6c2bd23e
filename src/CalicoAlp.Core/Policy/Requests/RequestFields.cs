using System.Collections.Generic;
using System.Net;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Requests
{
    /// <summary>
    /// What a caller knows about one request (Test-AlpRequest's parameters or a piped object, a line of an access log, the
    /// namespace pilot check). Null (or an empty string) means "not given": <see cref="AlpRequestBuilder"/> fills it in
    /// with the same rules for every caller.
    /// </summary>
    public sealed class RequestFields
    {
        /// <summary>The client's SPIFFE URI; "" = plaintext; null = the source workload's identity (Istio mTLS), or
        /// plaintext when the source is outside the cluster.</summary>
        public string? SourcePrincipal { get; set; }
        public IPAddress? SourceIP { get; set; }
        /// <summary>Null = <see cref="AlpRequestBuilder.DefaultSourcePort"/>.</summary>
        public int? SourcePort { get; set; }
        /// <summary>The workload owning the source address when already known (a live pod, a namespace's pod); wins over
        /// the fields below.</summary>
        public WorkloadInfo? SourceWorkload { get; set; }
        public string? SourceNamespace { get; set; }
        public string? SourceServiceAccount { get; set; }
        public IReadOnlyDictionary<string, string>? SourceLabels { get; set; }

        public IPAddress? DestinationIP { get; set; }
        /// <summary>Null = <see cref="AlpRequestBuilder.DefaultDestinationPort"/>.</summary>
        public int? DestinationPort { get; set; }
        /// <summary>The workload owning the destination address when already known; wins over the fields below.</summary>
        public WorkloadInfo? DestinationWorkload { get; set; }
        public string? DestinationNamespace { get; set; }
        public string? DestinationServiceAccount { get; set; }
        public IReadOnlyDictionary<string, string>? DestinationLabels { get; set; }
        /// <summary>Profiles of the destination endpoint, in order (empty allowed); null = Calico's defaults for a pod.</summary>
        public IReadOnlyList<string>? DestinationProfiles { get; set; }

        /// <summary>IP protocol number (<see cref="IpProtocol"/>).</summary>
        public int Protocol { get; set; } = IpProtocol.Tcp;
        /// <summary>HTTP method; null with <see cref="Path"/> null = a non-HTTP connection check.</summary>
        public string? Method { get; set; }
        public string? Path { get; set; }
        public TrafficDirection Direction { get; set; } = TrafficDirection.Ingress;

        /// <summary>Any of the source workload fields is given.</summary>
        internal bool DescribesSource =>
            SourceLabels != null || !string.IsNullOrEmpty(SourceNamespace) || !string.IsNullOrEmpty(SourceServiceAccount);

        /// <summary>Any of the destination workload fields is given.</summary>
        internal bool DescribesDestination =>
            DestinationLabels != null || !string.IsNullOrEmpty(DestinationNamespace) || !string.IsNullOrEmpty(DestinationServiceAccount);
    }
}
