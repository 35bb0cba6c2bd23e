using System.Collections;

namespace CalicoAlp.Cmdlets
{
    /// <summary>The request and destination parameters Test-AlpRequest and Compare-AlpPolicy share (same names, same meaning);
    /// <see cref="RequestParameters.From"/> maps them, the one request builder in Core does the rest.</summary>
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
}
