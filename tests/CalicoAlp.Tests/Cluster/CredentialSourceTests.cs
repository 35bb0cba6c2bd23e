using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CalicoAlp.Core.Results;
using CalicoAlp.Tests.Infrastructure;
using Xunit;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>
    /// Credentials as cloud CLIs and kubelogin provide them, against the local control plane: an exec plugin that prints
    /// an ExecCredential, and a client certificate and key (signed by the cluster's CA) in files named by paths relative
    /// to the kubeconfig. Each kubeconfig lives in its own folder; the cmdlet runs from another working directory.
    /// </summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class CredentialSourceTests : IDisposable
    {
        private readonly ClusterFixture _cluster;
        private readonly CmdletHost _host = new();
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "calicoalp-cred-" + Guid.NewGuid().ToString("N")[..8]);

        public CredentialSourceTests(ClusterFixture cluster)
        {
            _cluster = cluster;
            Directory.CreateDirectory(Path.Combine(_dir, "certs"));
            File.Copy(cluster.Env["CA_CERT"], Path.Combine(_dir, "certs", "ca.crt"));
        }

        public void Dispose()
        {
            _host.Dispose();
            Directory.Delete(_dir, recursive: true);
        }

        private string Kubeconfig(string user) =>
            "apiVersion: v1\nkind: Config\ncurrent-context: c\n" +
            "contexts:\n- name: c\n  context: {cluster: local, user: u}\n" +
            $"clusters:\n- name: local\n  cluster: {{server: '{_cluster.ApiServerUrl}', certificate-authority: certs/ca.crt}}\n" +
            $"users:\n- name: u\n  user: {user}\n";

        /// <summary>Test-AlpRequest reading the cluster's policies (a real LIST of every policy kind) with the kubeconfig given by a path relative to the working directory.</summary>
        private InvocationResult ReadPolicies(string kubeconfigFile)
        {
            var cwd = Directory.GetCurrentDirectory();
            using var ps = _host.Create();
            ps.AddCommand("Set-Location").AddParameter("LiteralPath", Path.GetTempPath()).Invoke();
            ps.Commands.Clear();
            ps.AddCommand("Test-AlpRequest")
                .AddParameter("Kubeconfig", Path.GetRelativePath(Path.GetTempPath(), kubeconfigFile))
                .AddParameter("DestinationNamespace", "default").AddParameter("DestinationServiceAccount", "api")
                .AddParameter("SourceIP", "10.1.0.9").AddParameter("Method", "GET").AddParameter("Path", "/");
            var r = new InvocationResult();
            try
            {
                r.Output.AddRange(ps.Invoke().Select(o => o.BaseObject));
            }
            catch (System.Management.Automation.RuntimeException ex)
            {
                r.Terminating = ex.ErrorRecord;
            }
            r.Errors.AddRange(ps.Streams.Error);
            Directory.SetCurrentDirectory(cwd);
            return r;
        }

        [Fact]
        public void An_exec_plugin_that_prints_an_ExecCredential_authenticates()
        {
            // The token comes from a file only the plugin reads, as a cloud CLI's cache would; the plugin leaves a mark.
            File.WriteAllText(Path.Combine(_dir, "token"), _cluster.Env["ADMIN_TOKEN"]);
            var plugin = Path.Combine(_dir, "get-token.sh");
            File.WriteAllText(plugin, "#!/bin/sh\nset -e\ndir=$(dirname \"$0\")\necho ran >> \"$dir/plugin-ran\"\n" +
                "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"}}\\n' \"$(cat \"$dir/token\")\"\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var kubeconfig = Path.Combine(_dir, "exec.kubeconfig");
            File.WriteAllText(kubeconfig, Kubeconfig($"{{exec: {{apiVersion: client.authentication.k8s.io/v1beta1, command: '{plugin}', interactiveMode: Never}}}}"));

            var r = ReadPolicies(kubeconfig);
            r.AssertSuccess();
            Assert.Single(r.OutputOf<RequestDecision>());
            Assert.True(File.Exists(Path.Combine(_dir, "plugin-ran")), "the exec plugin was not run");
        }

        [Fact]
        public void A_client_certificate_from_files_relative_to_the_kubeconfig_authenticates()
        {
            var pki = Path.Combine(_cluster.StateDir, "pki");
            void Openssl(params string[] args)
            {
                var p = ProcessRunner.Run("openssl", args);
                Assert.True(p.ExitCode == 0, $"openssl {string.Join(' ', args)}: {p.Combined}");
            }
            var key = Path.Combine(_dir, "certs", "client.key");
            var csr = Path.Combine(_dir, "client.csr");
            var crt = Path.Combine(_dir, "certs", "client.crt");
            Openssl("genrsa", "-out", key, "2048");
            Openssl("req", "-new", "-key", key, "-subj", "/O=system:masters/CN=calicoalp-cert-user", "-out", csr);
            Openssl("x509", "-req", "-in", csr, "-CA", Path.Combine(pki, "ca.crt"), "-CAkey", Path.Combine(pki, "ca.key"), "-CAcreateserial",
                "-CAserial", Path.Combine(_dir, "ca.srl"), "-days", "1", "-out", crt);
            var kubeconfig = Path.Combine(_dir, "cert.kubeconfig");
            File.WriteAllText(kubeconfig, Kubeconfig("{client-certificate: certs/client.crt, client-key: certs/client.key}"));

            var r = ReadPolicies(kubeconfig);
            r.AssertSuccess();
            Assert.Single(r.OutputOf<RequestDecision>());

            // The same files without the CA's signature: the API server takes the request as anonymous and refuses it,
            // so the signed certificate was what authenticated.
            Openssl("req", "-new", "-x509", "-key", key, "-subj", "/O=system:masters/CN=calicoalp-cert-user", "-days", "1", "-out", crt);
            var refused = ReadPolicies(kubeconfig);
            var error = refused.Terminating ?? Assert.Single(refused.Errors);
            Assert.Contains(error.CategoryInfo.Category, new[] { System.Management.Automation.ErrorCategory.PermissionDenied, System.Management.Automation.ErrorCategory.AuthenticationError });
            Assert.Empty(refused.Output);
        }
    }
}
