using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using Xunit;

namespace CalicoAlp.Tests.Infrastructure
{
    /// <summary>
    /// One real local control plane per Calico + Istio generation (tests/cluster/cluster.sh fixture &lt;statedir&gt;
    /// &lt;generation&gt;), each in its own statedir because the generations' CRDs and control planes differ. Started on first
    /// use and stopped when the collection is done (only the ones started here). Statedir:
    /// $CALICOALP_GENERATION_STATE_ROOT-&lt;generation&gt; (an already running cluster there with the same generation is
    /// reused and left running), else a temp folder per process. Classes using it are in collection
    /// <see cref="GenerationCollection.Name"/> (run one after another) and carry [Trait("Category", "Cluster")].
    /// </summary>
    public sealed class GenerationClusters : IDisposable
    {
        public const string RootVariable = "CALICOALP_GENERATION_STATE_ROOT";
        public const string Default = "calico3.12-istio1.4.2";

        /// <summary>The generations besides the default (the folders of tests/cluster/fixture/generations).</summary>
        public static readonly string[] Modern =
        {
            "calico3.19-istio1.7.4", "calico3.22-istio1.10.2", "calico3.25-istio1.15.2", "calico3.31-istio1.28.1",
        };

        private readonly Dictionary<string, GenerationCluster> _clusters = new(StringComparer.Ordinal);
        private readonly List<string> _owned = new();
        private readonly object _lock = new();

        public GenerationClusters() => ClusterFixture.ThrowInUnitMode();

        public GenerationCluster Get(string generation)
        {
            lock (_lock)
            {
                if (_clusters.TryGetValue(generation, out var c)) return c;
                var root = Environment.GetEnvironmentVariable(RootVariable);
                var state = string.IsNullOrEmpty(root)
                    ? Path.Combine(Path.GetTempPath(), $"calicoalp-xunit-{Environment.ProcessId}-{generation}")
                    : $"{root}-{generation}";
                var running = File.Exists(Path.Combine(state, "kubeconfig"))
                    && ProcessRunner.Run("bash", new[] { RepoPaths.ClusterScript, "status", state }).ExitCode == 0;
                if (!running)
                {
                    ClusterFixture.Script("install");
                    ClusterFixture.Script("start", state);
                    _owned.Add(state);
                }
                ClusterFixture.Script("fixture", state, generation);
                c = new GenerationCluster(generation, state);
                _clusters[generation] = c;
                return c;
            }
        }

        public void Dispose()
        {
            foreach (var state in _owned) ClusterFixture.Script("stop", state);
        }
    }

    /// <summary>One generation's running cluster: kubeconfig and kubectl as admin.</summary>
    public sealed class GenerationCluster : IKubectlTarget
    {
        public GenerationCluster(string generation, string stateDir)
        {
            Generation = generation;
            StateDir = stateDir;
            Kubeconfig = Path.Combine(stateDir, "kubeconfig");
        }

        public string Generation { get; }
        public string StateDir { get; }
        public string Kubeconfig { get; }

        /// <summary>"1.7.4" from "calico3.19-istio1.7.4".</summary>
        public string IstioVersion => Generation[(Generation.IndexOf("-istio", StringComparison.Ordinal) + "-istio".Length)..];

        public ProcessResult Kubectl(params string[] args) =>
            ProcessRunner.Run("kubectl", new[] { "--kubeconfig", Kubeconfig, "--context", "admin" }.Concat(args).ToArray());

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
    }

    [CollectionDefinition(Name)]
    public sealed class GenerationCollection : ICollectionFixture<GenerationClusters>
    {
        public const string Name = "generations";
    }
}
