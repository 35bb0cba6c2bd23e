using System;
using System.Collections;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Text.RegularExpressions;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Requests;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// Test-AlpRequest's request parameters for one record, as PowerShell values: from the cmdlet's parameters (a direct
    /// call), or from a piped object's properties over the command-line parameters (<see cref="ReadFrom"/>). Mapped to
    /// Core's <see cref="RequestFields"/> by <see cref="ToFields"/>; everything else is decided by the request builder.
    /// </summary>
    /// <remarks>Top-level and internal: PowerShell lists the module's exported types before CalicoAlp.Core can be resolved.</remarks>
    internal sealed class RequestParameters
    {
        public string[] PolicyPath = [];
        public string? Source;
        public string? Destination;
        public string? SourcePrincipal;
        /// <summary>-SourcePrincipal was given (even empty or null: plaintext); otherwise it is derived.</summary>
        public bool SourcePrincipalGiven;
        public string? SourceIP;
        public int SourcePort;
        public string? SourceNamespace;
        public string? SourceServiceAccount;
        public IDictionary? SourceLabels;
        public string? DestinationNamespace;
        public string? DestinationServiceAccount;
        public IDictionary? DestinationLabels;
        public string? DestinationIP;
        public int DestinationPort;
        public string[]? DestinationProfile;
        public string Protocol = "TCP";
        public string? Method;
        public string? Path;
        public string? CalicoVersion;
        public string Direction = "Ingress";
        public bool NoTrace;

        private static readonly Regex PodReference = new(AlpRequestBuilder.PodReferencePattern, RegexOptions.CultureInvariant);

        /// <summary>How each request property a piped object may have is read (PowerShell's names, any case): the parameters
        /// Test-AlpRequest and Compare-AlpPolicy share (<see cref="IRequestParameterSource"/>).</summary>
        private static readonly FrozenDictionary<string, Action<RequestParameters, object?, string>> RequestReaders =
            SharedReaders().ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

        /// <summary>The request properties plus Test-AlpRequest's own pipeline-bound ones (policy, pods, release).</summary>
        private static readonly FrozenDictionary<string, Action<RequestParameters, object?, string>> TestReaders = TestAlpRequestReaders();

        private static Dictionary<string, Action<RequestParameters, object?, string>> SharedReaders() =>
            new(StringComparer.OrdinalIgnoreCase)
            {
                [nameof(SourcePrincipal)] = (p, v, n) => { p.SourcePrincipal = Text(v, n); p.SourcePrincipalGiven = true; },
                [nameof(SourceIP)] = (p, v, n) => p.SourceIP = Text(v, n),
                [nameof(SourcePort)] = (p, v, n) => p.SourcePort = Port(v, n),
                [nameof(SourceNamespace)] = (p, v, n) => p.SourceNamespace = Text(v, n),
                [nameof(SourceServiceAccount)] = (p, v, n) => p.SourceServiceAccount = Text(v, n),
                [nameof(SourceLabels)] = (p, v, n) => p.SourceLabels = Dictionary(v, n),
                [nameof(DestinationNamespace)] = (p, v, n) => p.DestinationNamespace = Text(v, n),
                [nameof(DestinationServiceAccount)] = (p, v, n) => p.DestinationServiceAccount = Text(v, n),
                [nameof(DestinationLabels)] = (p, v, n) => p.DestinationLabels = Dictionary(v, n),
                [nameof(DestinationIP)] = (p, v, n) => p.DestinationIP = Text(v, n),
                [nameof(DestinationPort)] = (p, v, n) => p.DestinationPort = Port(v, n),
                [nameof(DestinationProfile)] = (p, v, n) => p.DestinationProfile = Strings(v, n),
                [nameof(Protocol)] = (p, v, n) => p.Protocol = Text(v, n) ?? "TCP",
                [nameof(Method)] = (p, v, n) => p.Method = Text(v, n),
                [nameof(Path)] = (p, v, n) => p.Path = Text(v, n),
                [nameof(Direction)] = (p, v, n) => p.Direction = Text(v, n) ?? "Ingress",
            };

        private static FrozenDictionary<string, Action<RequestParameters, object?, string>> TestAlpRequestReaders()
        {
            var d = SharedReaders();
            d[nameof(PolicyPath)] = (p, v, n) => p.PolicyPath = Strings(v, n) ?? [];
            d[nameof(Source)] = (p, v, n) => p.Source = PodName(v, n);
            d[nameof(Destination)] = (p, v, n) => p.Destination = PodName(v, n);
            d[nameof(CalicoVersion)] = (p, v, n) => p.CalicoVersion = Text(v, n);
            return d.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        }

        /// <summary>The request parameters shared by Test-AlpRequest and Compare-AlpPolicy (command-line values or their
        /// defaults); <paramref name="bound"/> says whether -SourcePrincipal was given.</summary>
        public static RequestParameters From(IRequestParameterSource c, IEnumerable<string> bound)
        {
            bool principalGiven = false;
            foreach (var name in bound)
            {
                if (string.Equals(name, nameof(SourcePrincipal), StringComparison.OrdinalIgnoreCase)) principalGiven = true;
            }
            return new RequestParameters
            {
                SourcePrincipal = c.SourcePrincipal,
                SourcePrincipalGiven = principalGiven,
                SourceIP = c.SourceIP,
                SourcePort = c.SourcePort,
                SourceNamespace = c.SourceNamespace,
                SourceServiceAccount = c.SourceServiceAccount,
                SourceLabels = c.SourceLabels,
                DestinationNamespace = c.DestinationNamespace,
                DestinationServiceAccount = c.DestinationServiceAccount,
                DestinationLabels = c.DestinationLabels,
                DestinationIP = c.DestinationIP,
                DestinationPort = c.DestinationPort,
                DestinationProfile = c.DestinationProfile,
                Protocol = c.Protocol,
                Method = c.Method,
                Path = c.Path,
                Direction = c.Direction,
            };
        }

        /// <summary>Test-AlpRequest's parameters: the shared request parameters plus its own (policy, pods, version, trace).</summary>
        public static RequestParameters FromCommand(TestAlpRequestCommand c, IEnumerable<string> bound)
        {
            var p = From(c, bound);
            p.PolicyPath = c.PolicyPath;
            p.Source = c.Source;
            p.Destination = c.Destination;
            p.CalicoVersion = c.CalicoVersion;
            p.NoTrace = c.NoTrace.IsPresent;
            return p;
        }

        /// <summary>
        /// <paramref name="p"/> with the properties of <paramref name="input"/> named like a request parameter (any case) that
        /// were not given on the command line (<paramref name="commandLine"/>): what PowerShell's binding by property name
        /// would bind, read in one pass over the object's properties. An object with none of them is an error.
        /// <paramref name="requestOnly"/> (Compare-AlpPolicy): only the shared request properties are read, not
        /// Test-AlpRequest's PolicyPath, Source, Destination and CalicoVersion.
        /// </summary>
        public static RequestParameters ReadFrom(PSObject input, RequestParameters p, ISet<string> commandLine, bool requestOnly = false)
        {
            var readers = requestOnly ? RequestReaders : TestReaders;
            int read = 0;
            foreach (var property in input.Properties)
            {
                if (!readers.TryGetValue(property.Name, out var reader)) continue;
                read++;
                if (commandLine.Contains(property.Name)) continue;
                object? value;
                try
                {
                    value = property.Value;
                }
                catch (GetValueException ex)
                {
                    throw Invalid(property.Name, ex.Message);
                }
                reader(p, value is PSObject wrapped ? wrapped.BaseObject : value, property.Name);
            }
            if (read == 0)
            {
                throw new AlpException("InputObjectNotRequest", AlpErrorKind.InvalidArgument,
                    $"The input object ({input.BaseObject.GetType().Name}) has no property named like a {(requestOnly ? "Compare-AlpPolicy" : "Test-AlpRequest")} request parameter (SourceIP, SourcePrincipal, DestinationPort, Method, Path, ...).", input.BaseObject);
            }
            return p;
        }

        /// <summary>Core's fields: addresses, protocol and direction parsed (errors name the parameter).</summary>
        public RequestFields ToFields() => new()
        {
            SourcePrincipal = SourcePrincipalGiven ? SourcePrincipal ?? "" : null,
            SourceIP = AlpRequestBuilder.ParseAddress(SourceIP, nameof(SourceIP)),
            SourcePort = SourcePort,
            SourceNamespace = SourceNamespace,
            SourceServiceAccount = SourceServiceAccount,
            SourceLabels = SourceLabels != null ? AlpRequestBuilder.Labels(SourceLabels) : null,
            DestinationIP = AlpRequestBuilder.ParseAddress(DestinationIP, nameof(DestinationIP)),
            DestinationPort = DestinationPort,
            DestinationNamespace = DestinationNamespace,
            DestinationServiceAccount = DestinationServiceAccount,
            DestinationLabels = DestinationLabels != null ? AlpRequestBuilder.Labels(DestinationLabels) : null,
            DestinationProfiles = DestinationProfile,
            Protocol = IpProtocol.Parse(Protocol, nameof(Protocol)),
            Method = Method,
            Path = Path,
            Direction = AlpRequestBuilder.ParseDirection(Direction),
        };

        private static AlpException Invalid(string name, string why) =>
            new("InputObjectPropertyInvalid", AlpErrorKind.InvalidArgument, $"Property '{name}' of the input object: {why}", name);

        private static string? Text(object? v, string name) => v switch
        {
            null => null,
            string s => s,
            _ => Convert<string>(v, name),
        };

        private static int Port(object? v, string name)
        {
            int port = v is int i ? i : Convert<int>(v, name);
            if (port < 0 || port > 65535) throw Invalid(name, $"{port} is not a port number (0..65535).");
            return port;
        }

        private static string? PodName(object? v, string name)
        {
            var s = Text(v, name);
            if (s != null && !PodReference.IsMatch(s)) throw Invalid(name, $"'{s}' is not a pod as namespace/name.");
            return s;
        }

        private static IDictionary? Dictionary(object? v, string name) => v switch
        {
            null => null,
            IDictionary d => d,
            _ => throw Invalid(name, "labels must be a hashtable (@{ app = 'web' })."),
        };

        private static string[]? Strings(object? v, string name) => v switch
        {
            null => null,
            string s => [s],
            string[] a => a,
            _ => Convert<string[]>(v, name),
        };

        private static T Convert<T>(object? v, string name)
        {
            try
            {
                return (T)LanguagePrimitives.ConvertTo(v, typeof(T), CultureInfo.InvariantCulture);
            }
            catch (PSInvalidCastException ex)
            {
                throw Invalid(name, ex.Message);
            }
        }
    }
}
