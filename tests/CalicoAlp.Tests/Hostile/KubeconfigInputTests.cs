using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.IO;
using CalicoAlp.Core.Kube;
using Xunit;

namespace CalicoAlp.Tests.Hostile
{
    /// <summary>
    /// Bad kubeconfigs end in our errors naming the file, context, user or command, never a token (issue 13). Before,
    /// an empty file was a NullReferenceException, a folder "did not exist", a missing user was not named, an exec
    /// plugin that failed was "failed deserialization" and insecure-skip-tls-verify passed silently.
    /// </summary>
    public sealed class KubeconfigInputTests : IDisposable
    {
        private const string Sentinel = "SENTINEL-7f3c9a1e-token";
        private readonly string _dir = Directory.CreateTempSubdirectory("calicoalp-kch").FullName;

        public void Dispose() => Directory.Delete(_dir, true);

        private string Write(string text)
        {
            var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".yaml");
            File.WriteAllText(path, text);
            return path;
        }

        private static string Config(string user, string cluster = "{server: 'https://127.0.0.1:1'}", string contextUser = "u") =>
            "apiVersion: v1\nkind: Config\ncurrent-context: c\n" +
            $"contexts:\n- name: c\n  context: {{cluster: k, user: {contextUser}}}\n" +
            $"clusters:\n- name: k\n  cluster: {cluster}\n" +
            $"users:\n- name: u\n  user: {user}\n";

        private static KubeConnectionOptions Options(string path) => new()
        {
            KubeconfigPaths = new[] { path },
            Environment = _ => null,
            MaxRetries = 0,
            RequestTimeout = TimeSpan.FromSeconds(5),
        };

        private sealed class Log : IOperationLog
        {
            public List<string> Lines { get; } = new();
            public void Verbose(string message) { lock (Lines) Lines.Add("V " + message); }
            public void Warning(string message) { lock (Lines) Lines.Add("W " + message); }
            public void Progress(string activity, string status, int percentComplete) { }
        }

        private static AlpException Refused(string path, Log? log = null) =>
            Assert.Throws<AlpException>(() => KubeConnector.Connect(Options(path), log ?? new Log()).Dispose());

        [Fact]
        public void An_empty_kubeconfig_is_KubeconfigInvalid_not_a_NullReferenceException()
        {
            var ex = Refused(Write(""));
            Assert.Equal("KubeconfigInvalid", ex.ErrorId);
            Assert.Contains("is empty", ex.Message);
        }

        [Fact]
        public void A_folder_given_as_kubeconfig_is_named_as_a_folder()
        {
            var ex = Refused(_dir);
            Assert.Equal(InputFile.NotRegularErrorId, ex.ErrorId);
            Assert.Contains("a folder", ex.Message);
        }

        [Fact]
        public void A_kubeconfig_of_the_wrong_shape_is_KubeconfigInvalid_with_the_file()
        {
            var path = Write("apiVersion: v1\nkind: Config\ncontexts: 5\n");
            var ex = Refused(path);
            Assert.Equal("KubeconfigInvalid", ex.ErrorId);
            Assert.Contains(path, ex.Message);
        }

        [Fact]
        public void An_alias_bomb_kubeconfig_is_refused_by_the_YAML_limits()
        {
            var ex = Refused(Write(HostileInputTests.BillionLaughs()));
            Assert.Equal(Core.Yaml.YamlLimitException.ExpansionErrorId, ex.ErrorId);
        }

        [Fact]
        public void A_context_naming_a_missing_user_names_it()
        {
            var ex = Refused(Write(Config($"{{token: {Sentinel}}}", contextUser: "nobody")));
            Assert.Equal("KubeUserNotFound", ex.ErrorId);
            Assert.Contains("user 'nobody'", ex.Message);
        }

        [Fact]
        public void A_token_with_a_line_break_is_refused_without_showing_it()
        {
            var ex = Refused(Write(Config($"{{token: \"{Sentinel}\\nmore\"}}")));
            Assert.Equal(KubeCredentialErrors.CredentialInvalidErrorId, ex.ErrorId);
            Assert.Contains("line break", ex.Message);
            Assert.DoesNotContain("SENTINEL", ex.ToString(), StringComparison.Ordinal);
        }

        [Fact]
        public void A_non_ASCII_token_is_refused_without_showing_it()
        {
            var ex = Refused(Write(Config($"{{token: \"{Sentinel}é\"}}")));
            Assert.Equal(KubeCredentialErrors.CredentialInvalidErrorId, ex.ErrorId);
            Assert.DoesNotContain("SENTINEL", ex.ToString(), StringComparison.Ordinal);
        }

        [Fact]
        public void A_bad_client_key_names_the_user_and_context()
        {
            var garbage = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes("-----BEGIN PRIVATE KEY-----\n" + Sentinel + "\n-----END PRIVATE KEY-----\n"));
            var ex = Refused(Write(Config($"{{client-certificate-data: {garbage}, client-key-data: {garbage}}}")));
            Assert.Equal(KubeCredentialErrors.ClientCertificateErrorId, ex.ErrorId);
            Assert.Contains("user 'u' (context 'c')", ex.Message);
            Assert.DoesNotContain("SENTINEL", ex.ToString(), StringComparison.Ordinal);
        }

        [Fact]
        public void Insecure_skip_tls_verify_in_the_kubeconfig_warns_once_naming_the_context()
        {
            var log = new Log();
            using (KubeConnector.Connect(Options(Write(Config($"{{token: {Sentinel}}}", "{server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}"))), log))
            {
            }
            var warnings = log.Lines.FindAll(l => l.StartsWith("W ", StringComparison.Ordinal));
            Assert.Single(warnings);
            Assert.Contains("context 'c'", warnings[0]);
            Assert.Contains("insecure-skip-tls-verify", warnings[0]);
            Assert.DoesNotContain(log.Lines, l => l.Contains("SENTINEL", StringComparison.Ordinal));
        }

        [Fact]
        public void A_verified_cluster_gives_no_TLS_warning()
        {
            var log = new Log();
            using (KubeConnector.Connect(Options(Write(Config($"{{token: {Sentinel}}}"))), log))
            {
            }
            Assert.DoesNotContain(log.Lines, l => l.StartsWith("W ", StringComparison.Ordinal));
        }

        [Theory]
        [InlineData("/nonexistent/calicoalp-no-such-plugin", "could not be started")]
        [InlineData("false", "did not print an ExecCredential")]
        public void A_failing_exec_plugin_names_the_command_and_not_the_secret(string command, string why)
        {
            var user = "{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: '" + command + "', args: ['" + Sentinel + "'], interactiveMode: Never}}";
            // KubernetesClient runs the plugin when the connection is made (and again when a token expires, in a request).
            var path = Write(Config(user));
            var ex = Assert.ThrowsAny<AlpException>(() =>
            {
                using var api = KubeConnector.Connect(Options(path), new Log());
                api.GetAsync(ResourceType.Namespace, null, "default", CancellationToken.None).GetAwaiter().GetResult();
            });
            Assert.Equal(KubeCredentialErrors.ExecFailedErrorId, ex.ErrorId);
            Assert.Contains($"'{command}'", ex.Message);
            Assert.Contains(why, ex.Message);
            Assert.Contains("context 'c'", ex.Message);
            Assert.DoesNotContain("SENTINEL", ex.Message, StringComparison.Ordinal);
        }
    }
}
