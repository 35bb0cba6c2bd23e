using System;
using System.Net.Http;
using System.Security.Authentication;
using System.Security.Cryptography;
using CalicoAlp.Core.Diagnostics;

namespace CalicoAlp.Core.Kube
{
    /// <summary>
    /// Our errors for what goes wrong with a context's credentials and the server's certificate. The messages name the
    /// context, the user and the command, never the token, password, key or the plugin's output (which holds them).
    /// </summary>
    public static class KubeCredentialErrors
    {
        public const string ExecFailedErrorId = "KubeExecCredentialFailed";
        public const string ClientCertificateErrorId = "KubeClientCertificateInvalid";
        public const string CredentialInvalidErrorId = "KubeCredentialInvalid";
        public const string ServerCertificateErrorId = "ApiServerCertificateInvalid";

        /// <summary>How long an exec credential plugin may run (kubectl has no limit; a hung plugin should not hang PowerShell).</summary>
        public static readonly TimeSpan ExecTimeout = TimeSpan.FromSeconds(30);

        /// <summary>An exec plugin that could not start, timed out, or printed no ExecCredential (KubernetesClient's KubeConfigException).</summary>
        public static AlpException? FromExec(Exception ex, string context, string? command)
        {
            var message = ex.Message;
            if (!message.StartsWith("external exec failed", StringComparison.Ordinal) && ex.InnerException != null)
            {
                return FromExec(ex.InnerException, context, command);
            }
            if (!message.StartsWith("external exec failed", StringComparison.Ordinal)) return null;
            var what = command == null ? "The exec credential plugin" : $"The exec credential plugin '{command}'";
            string why;
            if (message.Contains("timeout", StringComparison.Ordinal))
                why = $"did not finish within {ExecTimeout.TotalSeconds:0} s";
            else if (message.Contains("deserialization", StringComparison.Ordinal) || message.Contains("missing token", StringComparison.Ordinal))
                why = "did not print an ExecCredential with a token or client certificate (it failed, or printed something else)";
            else if (message.Contains("api version", StringComparison.Ordinal))
                why = "printed an ExecCredential of an apiVersion other than the one the kubeconfig asks for";
            else if (message.Contains("start process", StringComparison.OrdinalIgnoreCase) || message.Contains("No such file", StringComparison.Ordinal) ||
                     message.Contains("cannot find", StringComparison.OrdinalIgnoreCase))
                why = "could not be started (is it installed and on PATH?)";
            else
                why = "failed";
            return new AlpException(ExecFailedErrorId, AlpErrorKind.AuthenticationError, $"{what} of context '{context}' {why}.", context, ex)
            {
                RecommendedAction = command == null
                    ? "Run the kubeconfig's exec command yourself to see its error."
                    : $"Run '{command}' yourself (with the kubeconfig's args and env) to see its error; log in again if its session expired.",
            };
        }

        /// <summary>A client certificate or key that cannot be used (bad PEM, key not matching the certificate).</summary>
        public static AlpException ClientCertificate(CryptographicException ex, string context, string? user) =>
            new(ClientCertificateErrorId, AlpErrorKind.AuthenticationError,
                $"The client certificate or key of user '{user ?? "?"}' (context '{context}') cannot be used: it is not a valid PEM certificate and matching private key.",
                context, ex)
            {
                RecommendedAction = "Check client-certificate(-data) and client-key(-data) of that user in the kubeconfig.",
            };

        /// <summary>A token or password that cannot go into an HTTP header; <paramref name="why"/> says what is wrong, not what it is.</summary>
        public static AlpException Credential(string context, string? user, string field, string why) =>
            new(CredentialInvalidErrorId, AlpErrorKind.AuthenticationError,
                $"The {field} of user '{user ?? "?"}' (context '{context}') {why}; it cannot be sent to the API server.", context)
            {
                RecommendedAction = $"Fix the {field} of that user in the kubeconfig (a copied token often carries a line break).",
            };

        /// <summary>What is wrong with a credential text (control character, non-ASCII), or null when it can be sent.</summary>
        public static string? CheckHeaderText(string? text)
        {
            if (string.IsNullOrEmpty(text)) return null;
            foreach (char c in text)
            {
                if (c == '\n' || c == '\r') return "holds a line break";
                if (c < 0x20 || c == 0x7F) return "holds a control character";
                if (c > 0x7E) return "holds a non-ASCII character";
            }
            return null;
        }

        /// <summary>True when <paramref name="ex"/> is (or wraps) a TLS handshake failure such as an unverifiable server certificate.</summary>
        public static bool IsTlsFailure(Exception ex)
        {
            for (Exception? e = ex; e != null; e = e.InnerException)
            {
                if (e is AuthenticationException) return true;
            }
            return false;
        }

        /// <summary>The server's certificate did not verify: not retried (it will not change), and TLS stays on.</summary>
        public static AlpException ServerCertificate(HttpRequestException ex, string server, string context)
        {
            var reason = ex.InnerException?.Message ?? ex.Message;
            return new AlpException(ServerCertificateErrorId, AlpErrorKind.SecurityError,
                $"The TLS certificate of the API server {server} (context '{context}') could not be verified: {reason}", server, ex)
            {
                RecommendedAction = "Check the cluster's certificate-authority(-data) in the kubeconfig and that the server address is a name the certificate is for. " +
                                    "-SkipTlsVerify turns verification off (not recommended).",
            };
        }
    }
}
