using System;
using System.IO;
using System.Threading;

namespace CalicoAlp.Tests.Infrastructure
{
    /// <summary>
    /// A ServiceAccount bound to a ClusterRole with exactly the given rules, and a kubeconfig (context "restricted")
    /// that authenticates with its token. Everything is deleted on Dispose.
    /// </summary>
    public sealed class RestrictedUser : IDisposable
    {
        public const string ContextName = "restricted";

        /// <summary>Read access to every resource (no writes): the base of the roles below.</summary>
        public const string ReadEverything = "- apiGroups: ['*']\n  resources: ['*']\n  verbs: [get, list, watch]\n";

        private readonly ClusterFixture _cluster;

        /// <param name="rules">The ClusterRole's rules as a YAML list (e.g. <see cref="ReadEverything"/> plus the writes).</param>
        public RestrictedUser(ClusterFixture cluster, string rules)
        {
            _cluster = cluster;
            Name = "calicoalp-test-" + Guid.NewGuid().ToString("N")[..8];
            cluster.KubectlApply($@"apiVersion: v1
kind: ServiceAccount
metadata: {{name: {Name}, namespace: default}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: {Name}}}
rules:
{rules}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: {Name}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {Name}}}
subjects:
- {{kind: ServiceAccount, name: {Name}, namespace: default}}
");
            var token = WaitForToken();
            var ca = Convert.ToBase64String(File.ReadAllBytes(cluster.Env["CA_CERT"]));
            Kubeconfig = Path.Combine(Path.GetTempPath(), $"{Name}.kubeconfig");
            File.WriteAllText(Kubeconfig,
                "apiVersion: v1\nkind: Config\ncurrent-context: restricted\n" +
                $"clusters:\n- name: local\n  cluster:\n    server: {cluster.ApiServerUrl}\n    certificate-authority-data: {ca}\n" +
                $"users:\n- name: {Name}\n  user:\n    token: {token}\n" +
                $"contexts:\n- name: {ContextName}\n  context: {{cluster: local, user: {Name}}}\n");
        }

        public string Name { get; }

        /// <summary>The ServiceAccount's user name, as RBAC and impersonation know it.</summary>
        public string UserName => $"system:serviceaccount:default:{Name}";

        /// <summary>
        /// Replaces the ClusterRole's rules (an empty list grants nothing) and waits until the API server's authorizer
        /// answers <paramref name="probe"/> (verb, resource, namespace or null) as <paramref name="allowed"/>: the RBAC
        /// cache follows the change by a watch, so a request right after the update could still see the old rules.
        /// </summary>
        /// <param name="restored">A rule the previous call removed and this one grants again: waited for too (answer yes).</param>
        public void SetRules(string rules, (string Verb, string Resource, string? Namespace) probe, bool allowed, (string Verb, string Resource, string? Namespace)? restored = null)
        {
            Apply(rules, probe, allowed);
            if (restored is { } r && r != probe) Await(r, true);
        }

        private void Apply(string rules, (string Verb, string Resource, string? Namespace) probe, bool allowed)
        {
            _cluster.KubectlApply($"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: {Name}}}\n{(rules.Trim() == "[]" ? "rules: []\n" : "rules:\n" + rules)}");
            Await(probe, allowed);
        }

        private void Await((string Verb, string Resource, string? Namespace) probe, bool allowed)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                var args = new System.Collections.Generic.List<string> { "auth", "can-i", probe.Verb, probe.Resource, "--as", UserName };
                if (probe.Namespace != null) args.AddRange(new[] { "-n", probe.Namespace });
                var answer = _cluster.Kubectl(args.ToArray()).StdOut.Trim();
                if (answer == (allowed ? "yes" : "no")) return;
                if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"RBAC did not answer '{(allowed ? "yes" : "no")}' to {probe} for {UserName} within 30 s (last: '{answer}').");
                Thread.Sleep(100);
            }
        }

        public string Kubeconfig { get; }

        private string WaitForToken()
        {
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (true)
            {
                var secret = _cluster.Kubectl("-n", "default", "get", "serviceaccount", Name, "-o", "jsonpath={.secrets[0].name}").StdOut.Trim();
                if (secret.Length > 0)
                {
                    var data = _cluster.Kubectl("-n", "default", "get", "secret", secret, "-o", "jsonpath={.data.token}").StdOut.Trim();
                    if (data.Length > 0) return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(data));
                }
                if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"No token for ServiceAccount default/{Name} after 90 s.");
                Thread.Sleep(300);
            }
        }

        public void Dispose()
        {
            _cluster.Kubectl("delete", "clusterrolebinding", Name, "--ignore-not-found");
            _cluster.Kubectl("delete", "clusterrole", Name, "--ignore-not-found");
            _cluster.Kubectl("-n", "default", "delete", "serviceaccount", Name, "--ignore-not-found");
            File.Delete(Kubeconfig);
        }
    }
}
