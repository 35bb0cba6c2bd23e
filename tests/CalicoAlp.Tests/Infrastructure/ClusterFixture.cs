using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using Xunit;

namespace CalicoAlp.Tests.Infrastructure
{
    /// <summary>
    /// A real local control plane (etcd + kube-apiserver 1.20.2 + kube-controller-manager, tests/cluster/cluster.sh)
    /// with the "Calico 3.12 + Istio 1.4.2 (mTLS)" fixture. build.ps1 Test starts one and passes its state folder in
    /// CALICOALP_TEST_STATE; without it (e.g. `dotnet test` alone) the fixture starts its own and stops it afterwards.
    /// Every class that uses it carries [Trait("Category", "Cluster")]; build.ps1 Test -Unit sets CALICOALP_UNIT=1 and
    /// leaves those out, so a test that reaches this fixture there is one that was not marked: it fails, loudly.
    /// </summary>
    public sealed class ClusterFixture : IDisposable, IKubectlTarget
    {
        private readonly bool _owned;

        public const string UnitVariable = "CALICOALP_UNIT";

        public ClusterFixture()
        {
            ThrowInUnitMode();
            var state = Environment.GetEnvironmentVariable("CALICOALP_TEST_STATE");
            if (string.IsNullOrEmpty(state) || !File.Exists(Path.Combine(state, "kubeconfig")))
            {
                state = Path.Combine(Path.GetTempPath(), $"calicoalp-xunit-{Environment.ProcessId}");
                Script("install");
                Script("start", state);
                Script("fixture", state);
                _owned = true;
            }
            StateDir = state;
            Kubeconfig = Path.Combine(state, "kubeconfig");
            Env = File.ReadAllLines(Path.Combine(state, "env"))
                .Select(l => l.Split('=', 2))
                .Where(p => p.Length == 2)
                .ToDictionary(p => p[0].Trim(), p => p[1].Trim().Trim('"', '\''));
        }

        public string StateDir { get; }
        public string Kubeconfig { get; }
        public IReadOnlyDictionary<string, string> Env { get; }

        /// <summary>The API server's URL (from the kubeconfig's admin cluster).</summary>
        public string ApiServerUrl => Env.TryGetValue("APISERVER_URL", out var u) ? u : throw new InvalidOperationException("APISERVER_URL missing from env");

        /// <summary>In a run without the cluster (CALICOALP_UNIT=1) a test that needs it is an unmarked one.</summary>
        public static void ThrowInUnitMode()
        {
            if (Environment.GetEnvironmentVariable(UnitVariable) == "1")
            {
                throw new InvalidOperationException(
                    "this test needs the cluster: mark it Cluster ([Trait(\"Category\", \"Cluster\")] on its class). " +
                    $"{UnitVariable}=1 (build.ps1 Test -Unit) runs only the tests that need no cluster and starts none.");
            }
        }

        public static void Script(params string[] args)
        {
            ThrowInUnitMode();
            var r = ProcessRunner.Run("bash", new[] { RepoPaths.ClusterScript }.Concat(args).ToArray(), timeout: TimeSpan.FromMinutes(30));
            if (r.ExitCode != 0) throw new InvalidOperationException($"cluster.sh {string.Join(' ', args)} failed ({r.ExitCode}):\n{r.Combined}");
        }

        /// <summary>Runs kubectl as the admin user (or another context) against the test cluster.</summary>
        public ProcessResult Kubectl(params string[] args) => KubectlAs("admin", args);

        public ProcessResult KubectlAs(string context, params string[] args)
        {
            var all = new List<string> { "--kubeconfig", Kubeconfig, "--context", context };
            all.AddRange(args);
            return ProcessRunner.Run("kubectl", all.ToArray());
        }

        public string KubectlOk(params string[] args)
        {
            var r = Kubectl(args);
            if (r.ExitCode != 0) throw new InvalidOperationException($"kubectl {string.Join(' ', args)} failed: {r.Combined}");
            return r.StdOut;
        }

        public void KubectlApply(string yaml)
        {
            var r = ProcessRunner.Run("kubectl", new[] { "--kubeconfig", Kubeconfig, "--context", "admin", "apply", "-f", "-" }, yaml);
            if (r.ExitCode != 0) throw new InvalidOperationException($"kubectl apply failed: {r.Combined}\n{yaml}");
        }

        public JsonObject? GetJson(params string[] args)
        {
            var r = Kubectl(args.Concat(new[] { "-o", "json" }).ToArray());
            if (r.ExitCode != 0)
            {
                if (r.StdErr.Contains("NotFound", StringComparison.Ordinal)) return null;
                throw new InvalidOperationException($"kubectl {string.Join(' ', args)} failed: {r.Combined}");
            }
            return JsonNode.Parse(r.StdOut) as JsonObject;
        }

        public void Dispose()
        {
            if (_owned)
            {
                Script("stop", StateDir);
            }
        }
    }

    /// <summary>A test cluster kubectl can reach as admin (the default one or a generation's).</summary>
    public interface IKubectlTarget
    {
        ProcessResult Kubectl(params string[] args);
        string KubectlOk(params string[] args);
        void KubectlApply(string yaml);
    }

    [CollectionDefinition(Name)]
    public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
    {
        public const string Name = "cluster";
    }
}

namespace CalicoAlp.Tests.Infrastructure
{
    /// <summary>A kubeconfig that reaches the test cluster as admin through the fault proxy (TLS verified against the proxy's certificate).</summary>
    public static class ProxyKubeconfig
    {
        public static string Write(ClusterFixture cluster, CalicoAlp.Testing.Faults.FaultProxy proxy)
        {
            var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"calicoalp-proxy-{Guid.NewGuid():N}.kubeconfig");
            var caData = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(proxy.CertificatePem));
            File.WriteAllText(path,
                "apiVersion: v1\nkind: Config\ncurrent-context: admin\n" +
                $"clusters:\n- name: via-proxy\n  cluster:\n    server: {proxy.Uri.ToString().TrimEnd('/')}\n    certificate-authority-data: {caData}\n" +
                $"users:\n- name: admin\n  user:\n    token: {cluster.Env["ADMIN_TOKEN"]}\n" +
                "contexts:\n- name: admin\n  context: {cluster: via-proxy, user: admin}\n");
            return path;
        }
    }
}
