using System;
using System.Collections.Generic;
using System.IO;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Kube;
using Xunit;

namespace CalicoAlp.Tests.Unit
{
    /// <summary>kubeconfig resolution as kubectl does it: explicit files, the KUBECONFIG list, ~/.kube/config, in-cluster.</summary>
    public sealed class KubeConnectorTests : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("calicoalp-kc").FullName;

        public void Dispose() => Directory.Delete(_dir, true);

        private string Write(string name, string current, params string[] contexts)
        {
            var path = Path.Combine(_dir, name);
            var ctx = new List<string>();
            var users = new List<string>();
            var clusters = new List<string>();
            foreach (var c in contexts)
            {
                ctx.Add($"- name: {c}\n  context: {{cluster: {c}-cluster, user: {c}-user}}");
                users.Add($"- name: {c}-user\n  user: {{token: secret-{c}}}");
                clusters.Add($"- name: {c}-cluster\n  cluster: {{server: 'https://{name}.example:6443'}}");
            }
            File.WriteAllText(path, $"apiVersion: v1\nkind: Config\ncurrent-context: '{current}'\ncontexts:\n{string.Join('\n', ctx)}\nusers:\n{string.Join('\n', users)}\nclusters:\n{string.Join('\n', clusters)}\n");
            return path;
        }

        private static KubeConnectionOptions Options(Dictionary<string, string?> env, params string[] paths) => new()
        {
            KubeconfigPaths = paths,
            Environment = name => env.TryGetValue(name, out var v) ? v : null,
        };

        [Fact]
        public void KUBECONFIG_lists_are_merged_and_the_first_current_context_wins()
        {
            var a = Write("a", "alpha", "alpha");
            var b = Write("b", "beta", "beta", "alpha");
            var env = new Dictionary<string, string?> { ["KUBECONFIG"] = a + Path.PathSeparator + Path.Combine(_dir, "missing") + Path.PathSeparator + b, ["HOME"] = _dir };
            var target = KubeConnector.Resolve(Options(env));
            Assert.Equal("alpha", target.ContextName);
            Assert.Equal(new[] { a, b }, target.Files);
            Assert.Equal("$KUBECONFIG", target.Source);
            Assert.Equal(new[] { "alpha", "beta" }, KubeConnector.ListContexts(Options(env)));

            using var api = KubeConnector.Connect(new KubeConnectionOptions { KubeconfigPaths = new[] { a + Path.PathSeparator + b }, Context = "alpha", Environment = env.GetValueOrDefault }, NullOperationLog.Instance);
            Assert.Equal("https://a.example:6443", api.Server); // alpha is defined in both files: the first file wins
        }

        [Fact]
        public void A_merge_never_changes_what_a_file_alone_says()
        {
            // Parsed files are kept between calls: merging a with b must not leave b's entries in a's kept object.
            var a = Write("a", "alpha", "alpha");
            var b = Write("b", "beta", "beta");
            var none = new Dictionary<string, string?>();
            Assert.Equal(new[] { "alpha", "beta" }, KubeConnector.ListContexts(Options(none, a, b)));
            Assert.Equal(new[] { "alpha" }, KubeConnector.ListContexts(Options(none, a)));
            Assert.Equal(new[] { "beta", "alpha" }, KubeConnector.ListContexts(Options(none, b, a)));
            Assert.Equal("beta", KubeConnector.Resolve(Options(none, b, a)).ContextName);
            Assert.Equal("alpha", KubeConnector.Resolve(Options(none, a)).ContextName);
        }

        [Fact]
        public void A_changed_file_is_read_again()
        {
            var a = Write("a", "alpha", "alpha");
            var none = new Dictionary<string, string?>();
            Assert.Equal(new[] { "alpha" }, KubeConnector.ListContexts(Options(none, a)));
            Write("a", "gamma", "gamma", "delta"); // same path, new bytes (kubectl config use-context, a refreshed token)
            Assert.Equal(new[] { "gamma", "delta" }, KubeConnector.ListContexts(Options(none, a)));
            Assert.Equal("gamma", KubeConnector.Resolve(Options(none, a)).ContextName);
            using var api = KubeConnector.Connect(new KubeConnectionOptions { KubeconfigPaths = new[] { a }, Context = "delta", Environment = none.GetValueOrDefault }, NullOperationLog.Instance);
            Assert.Equal("https://a.example:6443", api.Server);
            File.WriteAllText(a, "apiVersion: v1\nkind: Config\nclusters: [[[\n");
            var error = Assert.Throws<AlpException>(() => KubeConnector.Resolve(Options(none, a)));
            Assert.Equal("KubeconfigInvalid", error.ErrorId); // a broken file is an error every time, never an old parse
        }

        [Fact]
        public void An_explicit_context_selects_it()
        {
            var a = Write("a", "alpha", "alpha", "gamma");
            var target = KubeConnector.Resolve(new KubeConnectionOptions { KubeconfigPaths = new[] { a }, Context = "gamma" });
            Assert.Equal("gamma", target.ContextName);
            Assert.Equal("-Kubeconfig", target.Source);
        }

        [Fact]
        public void An_unknown_context_is_refused_listing_the_known_ones()
        {
            var a = Write("a", "alpha", "alpha", "gamma");
            var ex = Assert.Throws<AlpException>(() => KubeConnector.Resolve(new KubeConnectionOptions { KubeconfigPaths = new[] { a }, Context = "nope" }));
            Assert.Equal("KubeContextNotFound", ex.ErrorId);
            Assert.Equal(AlpErrorKind.ObjectNotFound, ex.Kind);
            Assert.Contains("alpha, gamma", ex.Message);
            Assert.DoesNotContain("secret-", ex.Message);
        }

        [Fact]
        public void A_missing_explicit_file_is_refused()
        {
            var ex = Assert.Throws<AlpException>(() => KubeConnector.Resolve(new KubeConnectionOptions { KubeconfigPaths = new[] { Path.Combine(_dir, "nope") } }));
            Assert.Equal("KubeconfigNotFound", ex.ErrorId);
            Assert.Equal(Path.Combine(_dir, "nope"), ex.Target);
        }

        [Fact]
        public void Home_kube_config_is_the_default()
        {
            Directory.CreateDirectory(Path.Combine(_dir, ".kube"));
            File.Copy(Write("x", "xi", "xi"), Path.Combine(_dir, ".kube", "config"));
            var target = KubeConnector.Resolve(Options(new Dictionary<string, string?> { ["HOME"] = _dir }));
            Assert.Equal("xi", target.ContextName);
            Assert.Equal("~/.kube/config", target.Source);
        }

        [Fact]
        public void In_cluster_is_used_when_no_kubeconfig_exists()
        {
            var env = new Dictionary<string, string?> { ["HOME"] = _dir, ["KUBERNETES_SERVICE_HOST"] = "10.96.0.1", ["KUBERNETES_SERVICE_PORT"] = "443" };
            var target = KubeConnector.Resolve(Options(env));
            Assert.True(target.InCluster);
        }

        [Fact]
        public void Nothing_at_all_is_a_clear_error()
        {
            var ex = Assert.Throws<AlpException>(() => KubeConnector.Resolve(Options(new Dictionary<string, string?> { ["HOME"] = _dir })));
            Assert.Equal("KubeconfigNotFound", ex.ErrorId);
        }

        [Fact]
        public void A_malformed_kubeconfig_names_the_file()
        {
            var bad = Path.Combine(_dir, "bad");
            File.WriteAllText(bad, "apiVersion: v1\nkind: Config\ncontexts: [unclosed\n");
            var ex = Assert.Throws<AlpException>(() => KubeConnector.Resolve(new KubeConnectionOptions { KubeconfigPaths = new[] { bad } }));
            Assert.Equal("KubeconfigInvalid", ex.ErrorId);
            Assert.Contains(bad, ex.Message);
        }
    }
}
