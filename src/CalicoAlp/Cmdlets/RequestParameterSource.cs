using System.Collections;
using System.Management.Automation;
using CalicoAlp.Core.Policy.Requests;

namespace CalicoAlp.Cmdlets
{
    /// <summary>The request and destination parameters Test-AlpRequest and Compare-AlpPolicy share (same names, same meaning).</summary>
    internal interface IRequestParameterSource
    {
        string? SourcePrincipal { get; }
        string? SourceIP { get; }
        int SourcePort { get; }
        string? SourceNamespace { get; }
        string? SourceServiceAccount { get; }
        Hashtable? SourceLabels { get; }
        string? DestinationNamespace { get; }
        string? DestinationServiceAccount { get; }
        Hashtable? DestinationLabels { get; }
        string? DestinationIP { get; }
        int DestinationPort { get; }
        string[]? DestinationProfile { get; }
        string Protocol { get; }
        string? Method { get; }
        string? Path { get; }
        string Direction { get; }
    }

    /// <summary>The one place a cmdlet's request parameters become Core's <see cref="RequestParameters"/>.</summary>
    internal static class RequestParameterSource
    {
        public static RequestParameters ToRequestParameters(this IRequestParameterSource p, InvocationInfo invocation) => new()
        {
            SourcePrincipal = p.SourcePrincipal,
            SourcePrincipalGiven = invocation.BoundParameters.ContainsKey(nameof(IRequestParameterSource.SourcePrincipal)),
            SourceIP = p.SourceIP,
            SourcePort = p.SourcePort,
            SourceNamespace = p.SourceNamespace,
            SourceServiceAccount = p.SourceServiceAccount,
            SourceLabels = p.SourceLabels,
            DestinationNamespace = p.DestinationNamespace,
            DestinationServiceAccount = p.DestinationServiceAccount,
            DestinationLabels = p.DestinationLabels,
            DestinationIP = p.DestinationIP,
            DestinationPort = p.DestinationPort,
            DestinationProfile = p.DestinationProfile,
            Protocol = p.Protocol,
            Method = p.Method,
            Path = p.Path,
            Direction = p.Direction,
        };
    }
}
