using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Replay;

namespace CalicoAlp.Core.Policy.Requests
{
    /// <summary>
    /// The request as a user describes it (Test-AlpRequest's and Compare-AlpPolicy's request and destination parameters,
    /// as given), and the one mapping of those values to an <see cref="AlpRequest"/> (single requests) or to the
    /// <see cref="ReplayOptions"/> an access-log replay builds its requests with.
    /// </summary>
    public sealed class RequestParameters
    {
        public string? SourcePrincipal { get; init; }
        /// <summary>True when -SourcePrincipal was given (even empty = plaintext); false = derived from the source workload.</summary>
        public bool SourcePrincipalGiven { get; init; }
        public string? SourceIP { get; init; }
        public int SourcePort { get; init; } = 40000;
        public string? SourceNamespace { get; init; }
        public string? SourceServiceAccount { get; init; }
        public IDictionary? SourceLabels { get; init; }
        public string? DestinationNamespace { get; init; }
        public string? DestinationServiceAccount { get; init; }
        public IDictionary? DestinationLabels { get; init; }
        public string? DestinationIP { get; init; }
        public int DestinationPort { get; init; } = 80;
        public IReadOnlyList<string>? DestinationProfile { get; init; }
        public string Protocol { get; init; } = "TCP";
        public string? Method { get; init; }
        public string? Path { get; init; }
        /// <summary>"Ingress" (default) or "Egress", case-insensitive.</summary>
        public string Direction { get; init; } = "Ingress";

        /// <summary>
        /// The request these values describe. <paramref name="engine"/> identifies workloads by IP (Pods read with the
        /// policies); <paramref name="sourcePod"/>/<paramref name="destinationPod"/> are live pods (cluster mode).
        /// </summary>
        public AlpRequest Build(PolicyEngine engine, (WorkloadInfo Workload, IPAddress? IP)? sourcePod = null,
            (WorkloadInfo Workload, IPAddress? IP)? destinationPod = null, Action<string>? warn = null)
        {
            var srcIp = ParseIp(SourceIP, nameof(SourceIP)) ?? sourcePod?.IP;
            var dstIp = ParseIp(DestinationIP, nameof(DestinationIP)) ?? destinationPod?.IP;
            string? principalNs = null, principalSa = null;
            if (!string.IsNullOrEmpty(SourcePrincipal) && SpiffeIdentity.TryParse(SourcePrincipal, out var pns, out var psa))
            {
                principalNs = pns;
                principalSa = psa;
            }
            else if (!string.IsNullOrEmpty(SourcePrincipal))
            {
                warn?.Invoke($"-SourcePrincipal '{SourcePrincipal}' is not spiffe://<trust-domain>/ns/<ns>/sa/<sa>: Dikastes treats it as an unknown peer " +
                             "(service account and namespace checks pass; Calico <= 3.29 denies).");
            }
            // -SourceNamespace/-SourceServiceAccount/-SourceLabels describe the workload that owns the source IP;
            // with none of them (and no loaded Pod with that IP) the source is an address outside the cluster.
            WorkloadInfo? source = sourcePod != null ? sourcePod.Value.Workload
                : SourceLabels != null || !string.IsNullOrEmpty(SourceNamespace) || !string.IsNullOrEmpty(SourceServiceAccount)
                ? new WorkloadInfo(SourceNamespace ?? principalNs ?? "default", SourceServiceAccount ?? principalSa ?? "default", SourceLabels == null ? new Dictionary<string, string>() : Labels(SourceLabels))
                : engine.PodByIp(srcIp);
            WorkloadInfo? destination = destinationPod != null ? destinationPod.Value.Workload
                : (DestinationLabels == null && DestinationNamespace == null ? engine.PodByIp(dstIp) : null)
                  ?? new WorkloadInfo(DestinationNamespace ?? "default", DestinationServiceAccount ?? "default",
                    DestinationLabels != null ? Labels(DestinationLabels) : new Dictionary<string, string>(StringComparer.Ordinal));
            string principal = SourcePrincipalGiven ? SourcePrincipal ?? "" : source?.Principal ?? "";
            return new AlpRequest
            {
                SourcePrincipal = principal,
                SourceIP = srcIp,
                SourcePort = SourcePort,
                SourceWorkload = source,
                DestinationIP = dstIp,
                DestinationPort = DestinationPort,
                DestinationWorkload = destination,
                Profiles = DestinationProfile,
                Protocol = ParseProtocol(Protocol),
                Method = Method,
                Path = Path,
                Direction = string.Equals(Direction, "Egress", StringComparison.OrdinalIgnoreCase) ? TrafficDirection.Egress : TrafficDirection.Ingress,
            };
        }

        /// <summary>How an access-log replay turns the lines into requests: the destination and fallback source values.</summary>
        public ReplayOptions ToReplayOptions(PolicyEngine engine, Action<string>? warn = null)
        {
            var dstIp = ParseIp(DestinationIP, nameof(DestinationIP));
            WorkloadInfo? destination = null;
            if (DestinationLabels != null || DestinationNamespace != null || DestinationServiceAccount != null)
            {
                destination = new WorkloadInfo(DestinationNamespace ?? "default", DestinationServiceAccount ?? "default",
                    DestinationLabels != null ? Labels(DestinationLabels) : new Dictionary<string, string>(StringComparer.Ordinal));
            }
            else if (dstIp != null)
            {
                destination = engine.PodByIp(dstIp) ?? new WorkloadInfo("default", "default", new Dictionary<string, string>(StringComparer.Ordinal));
            }
            if (!string.IsNullOrEmpty(SourcePrincipal) && !SpiffeIdentity.TryParse(SourcePrincipal, out _, out _))
            {
                warn?.Invoke($"-SourcePrincipal '{SourcePrincipal}' is not spiffe://<trust-domain>/ns/<ns>/sa/<sa>: Dikastes treats it as an unknown peer.");
            }
            return new ReplayOptions
            {
                Destination = destination,
                DestinationIP = dstIp,
                DefaultDestinationPort = DestinationPort,
                DestinationProfiles = DestinationProfile,
                SourcePrincipal = SourcePrincipal,
                SourceIP = ParseIp(SourceIP, nameof(SourceIP)),
            };
        }

        public static IPAddress? ParseIp(string? text, string parameter)
        {
            if (string.IsNullOrEmpty(text)) return null;
            if (IPAddress.TryParse(text, out var ip)) return ip;
            throw new AlpException("InvalidIPAddress", AlpErrorKind.InvalidArgument, $"-{parameter} '{text}' is not an IP address.", text);
        }

        public static int ParseProtocol(string text) => text.ToUpperInvariant() switch
        {
            "TCP" => 6,
            "UDP" => 17,
            "SCTP" => 132,
            "ICMP" => 1,
            "ICMPV6" => 58,
            "UDPLITE" => 136,
            _ => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= 255 ? n
                : throw new AlpException("InvalidProtocol", AlpErrorKind.InvalidArgument, $"-Protocol '{text}' is not TCP, UDP, SCTP, ICMP or a number 1..255.", text),
        };

        private static Dictionary<string, string> Labels(IDictionary table)
        {
            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (DictionaryEntry e in table)
            {
                d[Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? ""] = Convert.ToString(e.Value, CultureInfo.InvariantCulture) ?? "";
            }
            return d;
        }
    }
}
