using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Kube;
using CalicoAlp.Testing.Faults;
using CalicoAlp.Tests.Infrastructure;
using CalicoAlp.Tests.Reliability;
using Xunit;
using Xunit.Abstractions;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>
    /// The fault campaign (<see cref="FaultCampaign"/>), short: a few runs per mutating cmdlet in the normal suite.
    /// build.ps1 Bench -Suite Faults runs the same test with CALICOALP_FAULT_RUNS (hundreds per cmdlet) and
    /// CALICOALP_FAULT_SEED, and reads the report from CALICOALP_FAULT_REPORT.
    /// </summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class FaultCampaignTests : IAsyncLifetime, IDisposable
    {
        private readonly ClusterFixture _cluster;
        private readonly ITestOutputHelper _output;
        private readonly CmdletHost _host = new();
        private readonly KubeApi _api;
        private readonly CampaignScenario[] _scenarios;
        private FaultProxy? _proxy;
        private string _kubeconfig = "";

        public FaultCampaignTests(ClusterFixture cluster, ITestOutputHelper output)
        {
            _cluster = cluster;
            _output = output;
            _api = KubeConnector.Connect(new KubeConnectionOptions { KubeconfigPaths = new[] { cluster.Kubeconfig }, Context = "admin" }, NullOperationLog.Instance);
            _scenarios = new CampaignScenario[] { new AppLayerPolicyScenario(cluster), new InjectorPatchScenario(cluster), new NamespaceScenario(cluster) };
        }

        public async Task InitializeAsync()
        {
            _proxy = await FaultProxy.StartAsync(_cluster.ApiServerUrl, await File.ReadAllTextAsync(_cluster.Env["CA_CERT"]));
            _kubeconfig = ProxyKubeconfig.Write(_cluster, _proxy);
        }

        public async Task DisposeAsync()
        {
            if (_proxy != null) await _proxy.DisposeAsync();
            File.Delete(_kubeconfig);
        }

        public void Dispose()
        {
            foreach (var s in _scenarios) s.Reset();
            _api.Dispose();
            _host.Dispose();
        }

        private static int Env(string name, int fallback) => int.TryParse(Environment.GetEnvironmentVariable(name), out var v) ? v : fallback;

        [Fact]
        public async Task Every_mutating_cmdlet_survives_random_faults_with_no_invariant_violated()
        {
            var runs = Env("CALICOALP_FAULT_RUNS", 8);
            var seed = Env("CALICOALP_FAULT_SEED", 1);
            var campaign = new FaultCampaign(_proxy!, _kubeconfig, _api, _host, seed, line =>
            {
                _output.WriteLine(line);
                Console.Error.WriteLine("[faults] " + line);
            });
            var report = await campaign.RunAsync(_scenarios, runs, CancellationToken.None);
            // Ctrl+C just as the k-th request of a run reaches the API server, for k spread over the whole run (0: every k).
            await campaign.CancelAtPointsAsync(_scenarios, Env("CALICOALP_FAULT_CANCEL_POINTS", 3), report, CancellationToken.None);
            var text = report.ToString();
            _output.WriteLine(text);
            if (Environment.GetEnvironmentVariable("CALICOALP_FAULT_REPORT") is { Length: > 0 } path)
            {
                await File.WriteAllTextAsync(path, report.ToJson());
                await File.WriteAllTextAsync(Path.ChangeExtension(path, ".txt"), text);
            }

            Assert.True(report.Runs > runs * 2 * _scenarios.Length, $"{report.Runs} runs");
            Assert.True(report.Violations.Count == 0, text);
            // The campaign really injected faults of every kind (a campaign without faults proves nothing).
            foreach (var kind in new[] { "latency", "dropped connection", "outage", "concurrent writer", "Ctrl+C at a request" })
            {
                Assert.True(report.Faults.GetValueOrDefault(kind) > 0, $"no '{kind}' fault was injected:\n{text}");
            }
            Assert.Contains(report.Faults.Keys, k => k.StartsWith("status ", StringComparison.Ordinal));
            Assert.Equal(report.ReRuns, report.ReRunsConverged);
        }

        [Fact]
        public async Task The_invariant_checks_see_half_written_objects()
        {
            foreach (var s in _scenarios) await s.PrepareAsync(_host, _api, CancellationToken.None);
            foreach (var s in _scenarios) Assert.Empty(await s.WholeAsync(_api, CancellationToken.None));

            // A half-written EnvoyFilter, a template with a second dikastes container, a namespace label no cmdlet writes.
            _cluster.KubectlOk("-n", "istio-system", "patch", "envoyfilters.networking.istio.io", "ext-authz", "--type=merge", "-p", "{\"spec\":{\"workloadSelector\":{\"labels\":{\"x\":\"y\"}}}}");
            var cm = _cluster.GetJson("-n", "istio-system", "get", "configmap", "istio-sidecar-injector")!;
            var config = cm["data"]!["config"]!.GetValue<string>();
            var at = config.IndexOf("- name: dikastes\n", StringComparison.Ordinal);
            Assert.True(at > 0);
            var indent = at - config.LastIndexOf('\n', at) - 1;
            var doubled = config.Insert(at, "- name: dikastes\n" + new string(' ', indent));
            var patch = new System.Text.Json.Nodes.JsonObject { ["data"] = new System.Text.Json.Nodes.JsonObject { ["config"] = doubled } };
            _cluster.KubectlOk("-n", "istio-system", "patch", "configmap", "istio-sidecar-injector", "--type=merge", "-p", patch.ToJsonString());

            var ns = ((NamespaceScenario)_scenarios[2]).Name;
            _cluster.KubectlOk("label", "namespace", ns, "istio-injection=disabled");

            var policy = (await _scenarios[0].WholeAsync(_api, CancellationToken.None)).ToList();
            Assert.Contains(policy, p => p.Contains("EnvoyFilter ext-authz half-written", StringComparison.Ordinal));
            var injector = (await _scenarios[1].WholeAsync(_api, CancellationToken.None)).ToList();
            Assert.Contains(injector, p => p.Contains("dikastes containers", StringComparison.Ordinal));
            Assert.Contains(injector, p => p.Contains("half-edited", StringComparison.Ordinal));
            Assert.Contains("Set, but", string.Join(";", await _scenarios[1].IntendedAsync(_api, true, CancellationToken.None)), StringComparison.Ordinal);
            Assert.Contains("disabled, but", string.Join(";", await _scenarios[0].IntendedAsync(_api, false, CancellationToken.None)), StringComparison.Ordinal);
            Assert.Contains("istio-injection 'disabled'", await _scenarios[2].WholeAsync(_api, CancellationToken.None));
        }
    }
}
