using System;
using System.IO;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Tasks;
using YamlDotNet.Core;

namespace CalicoAlp.Core.Diagnostics
{
    /// <summary>
    /// The one mapping of raw .NET exceptions that can reach a user (I/O, permissions, parsing, HTTP, timeouts,
    /// cryptography) to an <see cref="AlpException"/> with an error id, kind, target and advice, used where core work
    /// hands its result to a cmdlet. Messages carry the exception's own text, which for these types names files,
    /// positions and hosts, never credentials. Anything not listed (a bug) is left alone so that it is not disguised.
    /// </summary>
    public static class ExceptionMapping
    {
        /// <summary>Our error for <paramref name="ex"/>, or null when it is an AlpException already or not one of ours to map.</summary>
        public static AlpException? ToAlp(Exception ex, object? target = null)
        {
            switch (ex)
            {
                case AlpException:
                case OperationCanceledException when ex is not TaskCanceledException:
                    return null;
                case TaskCanceledException or TimeoutException:
                    return new AlpException("OperationTimedOut", AlpErrorKind.OperationTimeout, $"The operation timed out: {ex.Message}", target, ex)
                    { RecommendedAction = "Check that the API server is reachable and answering, then run the command again." };
                case FileNotFoundException or DirectoryNotFoundException:
                    return new AlpException("FileNotFound", AlpErrorKind.ObjectNotFound, ex.Message, target, ex);
                case UnauthorizedAccessException:
                    return new AlpException("FileAccessDenied", AlpErrorKind.PermissionDenied, ex.Message, target, ex)
                    { RecommendedAction = "Check the file's permissions." };
                case IOException:
                    return new AlpException("FileIOError", AlpErrorKind.InvalidOperation, ex.Message, target, ex);
                case YamlException ye:
                    {
                        var where = ye.Start.Line > 0 ? $"line {ye.Start.Line}: " : "";
                        return new AlpException("YamlInvalid", AlpErrorKind.InvalidData, $"{where}not valid YAML: {ex.Message}", target, ex);
                    }
                case JsonException je:
                    {
                        var where = je.LineNumber is { } l ? $"line {l + 1}: " : "";
                        return new AlpException("JsonInvalid", AlpErrorKind.InvalidData, $"{where}not valid JSON: {ex.Message}", target, ex);
                    }
                case FormatException:
                    return new AlpException("ValueFormatInvalid", AlpErrorKind.InvalidData, ex.Message, target, ex);
                case HttpRequestException hre when Kube.KubeCredentialErrors.IsTlsFailure(hre):
                    return Kube.KubeCredentialErrors.ServerCertificate(hre, target?.ToString() ?? "?", "?");
                case HttpRequestException:
                    return new AlpException("ApiServerUnreachable", AlpErrorKind.ConnectionError,
                        $"The request failed: {ex.InnerException?.Message ?? ex.Message}", target, ex)
                    { RecommendedAction = "Check that the cluster is running and that the kubeconfig's server address is right." };
                case CryptographicException:
                    return new AlpException("CryptographyFailed", AlpErrorKind.AuthenticationError,
                        $"A certificate or key could not be used: {ex.Message}", target, ex)
                    { RecommendedAction = "Check the client certificate and key, and the certificate authority, in the kubeconfig." };
                default:
                    return null;
            }
        }
    }
}
