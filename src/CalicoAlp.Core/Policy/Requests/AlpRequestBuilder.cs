using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Evaluation;

namespace CalicoAlp.Core.Policy.Requests
{
    /// <summary>
    /// The one place where a request to evaluate is made from what a caller knows (<see cref="RequestFields"/>): the
    /// Test-AlpRequest cmdlet (parameters or piped objects), the access-log replay (one line at a time) and the namespace
    /// istio-pilot egress check all build their <see cref="AlpRequest"/>s here, so identities, defaults and principals
    /// follow the same rules:
    /// <list type="bullet">
    /// <item>A side's workload is the one given (a live or listed pod); else, when any of its namespace, service account or
    /// labels is given, that workload (a missing namespace / service account is the source principal's, then
    /// <c>default</c>); else the loaded Pod owning the side's IP; else, for the destination, <c>default/default</c> without
    /// labels (Dikastes always runs beside a workload) and, for the source, none (an address outside the cluster).</item>
    /// <item>The source principal is the one given ("" = plaintext); when none is given, the source workload's SPIFFE
    /// identity (Istio mTLS), or plaintext for an address outside the cluster. A given principal that is not
    /// <c>spiffe://&lt;td&gt;/ns/&lt;ns&gt;/sa/&lt;sa&gt;</c> is reported once per request through the warning callback.</item>
    /// <item>Ports default to <see cref="DefaultSourcePort"/> and <see cref="DefaultDestinationPort"/>; the protocol to TCP.</item>
    /// </list>
    /// </summary>
    public sealed class AlpRequestBuilder
    {
        public const int DefaultSourcePort = 40000;
        public const int DefaultDestinationPort = 80;
        /// <summary>A live pod as <c>namespace/name</c> (Test-AlpRequest's -Source / -Destination).</summary>
        public const string PodReferencePattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$";

        private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>(StringComparer.Ordinal);
        private static readonly WorkloadInfo DefaultDestination = new("default", "default", NoLabels);

        private readonly PolicyEngine _engine;
        private readonly Action<string>? _warn;

        /// <param name="engine">Finds loaded Pods by IP.</param>
        /// <param name="warn">Receives the warnings about given values (null: not reported).</param>
        public AlpRequestBuilder(PolicyEngine engine, Action<string>? warn = null)
        {
            _engine = engine;
            _warn = warn;
        }

        public AlpRequest Build(RequestFields f)
        {
            string? principalNs = null, principalSa = null;
            if (!string.IsNullOrEmpty(f.SourcePrincipal) && !SpiffeIdentity.TryParse(f.SourcePrincipal, out principalNs, out principalSa))
            {
                _warn?.Invoke(MalformedPrincipalWarning(f.SourcePrincipal));
            }
            var source = f.SourceWorkload
                ?? (f.DescribesSource
                    ? new WorkloadInfo(NonEmpty(f.SourceNamespace) ?? principalNs ?? "default", NonEmpty(f.SourceServiceAccount) ?? principalSa ?? "default", f.SourceLabels ?? NoLabels)
                    : _engine.PodByIp(f.SourceIP));
            var destination = DestinationOf(f, f.DestinationIP);
            return new AlpRequest
            {
                SourcePrincipal = f.SourcePrincipal ?? source?.Principal ?? "",
                SourceIP = f.SourceIP,
                SourcePort = f.SourcePort ?? DefaultSourcePort,
                SourceWorkload = source,
                DestinationIP = f.DestinationIP,
                DestinationPort = f.DestinationPort ?? DefaultDestinationPort,
                DestinationWorkload = destination,
                Profiles = f.DestinationProfiles,
                Protocol = f.Protocol,
                Method = f.Method,
                Path = f.Path,
                Direction = f.Direction,
            };
        }

        /// <summary>The destination workload by the rules above (given, described, the Pod owning <paramref name="ip"/>, default).</summary>
        public WorkloadInfo DestinationOf(RequestFields f, IPAddress? ip) =>
            f.DestinationWorkload
            ?? (f.DescribesDestination
                ? new WorkloadInfo(NonEmpty(f.DestinationNamespace) ?? "default", NonEmpty(f.DestinationServiceAccount) ?? "default", f.DestinationLabels ?? NoLabels)
                : _engine.PodByIp(ip) ?? DefaultDestination);

        /// <summary>
        /// The fixed part of the requests of an access-log replay: the destination workload when it is described (else it is
        /// found per line from the line's local address), the given addresses, port, profiles and principal. A malformed
        /// principal is reported once here.
        /// </summary>
        public Replay.ReplayOptions ReplayOptions(RequestFields f)
        {
            if (!string.IsNullOrEmpty(f.SourcePrincipal) && !SpiffeIdentity.TryParse(f.SourcePrincipal, out _, out _))
            {
                _warn?.Invoke(MalformedPrincipalWarning(f.SourcePrincipal));
            }
            return new Replay.ReplayOptions
            {
                Destination = f.DestinationWorkload ?? (f.DescribesDestination || f.DestinationIP != null ? DestinationOf(f, f.DestinationIP) : null),
                DestinationIP = f.DestinationIP,
                DefaultDestinationPort = f.DestinationPort ?? DefaultDestinationPort,
                DestinationProfiles = f.DestinationProfiles,
                SourcePrincipal = f.SourcePrincipal,
                SourceIP = f.SourceIP,
            };
        }

        private static string MalformedPrincipalWarning(string principal) =>
            $"-SourcePrincipal '{principal}' is not spiffe://<trust-domain>/ns/<ns>/sa/<sa>: Dikastes treats it as an unknown peer " +
            "(service account and namespace checks pass; Calico <= 3.29 denies).";

        private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

        /// <summary>An IP address, or null for null/empty; anything else is an <c>InvalidIPAddress</c> error naming <paramref name="field"/>.</summary>
        public static IPAddress? ParseAddress(string? text, string field)
        {
            if (string.IsNullOrEmpty(text)) return null;
            if (IPAddress.TryParse(text, out var ip)) return ip;
            throw new AlpException("InvalidIPAddress", AlpErrorKind.InvalidArgument, $"-{field} '{text}' is not an IP address.", text);
        }

        /// <summary>Ingress or Egress (any case); anything else is an <c>InvalidDirection</c> error.</summary>
        public static TrafficDirection ParseDirection(string? text)
        {
            if (string.IsNullOrEmpty(text) || string.Equals(text, "Ingress", StringComparison.OrdinalIgnoreCase)) return TrafficDirection.Ingress;
            if (string.Equals(text, "Egress", StringComparison.OrdinalIgnoreCase)) return TrafficDirection.Egress;
            throw new AlpException("InvalidDirection", AlpErrorKind.InvalidArgument, $"-Direction '{text}' is not Ingress or Egress.", text);
        }

        /// <summary>Labels from a dictionary (a PowerShell hashtable), keys and values as invariant strings.</summary>
        public static Dictionary<string, string> Labels(IDictionary table)
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
