using System;
using System.Collections;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Results;
using CalicoAlp.Testing.Faults;
using CalicoAlp.Tests.Infrastructure;
using Xunit;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>
    /// Enable and Disable at the same time: Disable's plan is read partly before and partly after Enable's writes
    /// (the proxy runs a whole Enable between Disable's reads). Without the runner's after-write check Disable
    /// reverted FelixConfiguration but left the ext-authz objects it had read as absent: a mixed state, both successful.
    /// </summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class ConcurrentEnableDisableTests : IAsyncLifetime, IDisposable
    {
        private readonly ClusterFixture _cluster;
        private readonly CmdletHost _host = new();
        private readonly CmdletHost _other = new();
        private FaultProxy? _proxy;
        private string _kubeconfig = "";

        public ConcurrentEnableDisableTests(ClusterFixture cluster)
        {
            _cluster = cluster;
            AlpClusterState.Reset(cluster);
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
            AlpClusterState.Reset(_cluster);
            _host.Dispose();
            _other.Dispose();
        }

        private bool ExtAuthzPresent() => _cluster.GetJson("-n", "istio-system", "get", "envoyfilters.networking.istio.io", "ext-authz") != null;

        private string? FelixPrefix() => _cluster.GetJson("get", "felixconfigurations.crd.projectcalico.org", "default")?["spec"]?["policySyncPathPrefix"]?.GetValue<string>();

        [Fact]
        public void Disable_planned_across_a_concurrent_Enable_does_not_leave_a_mixed_state()
        {
            // Disable reads the mesh objects (absent), then FelixConfiguration: just before that read, a whole Enable runs
            // (straight to the API server, not through the proxy).
            InvocationResult? enable = null;
            _proxy!.AddFault(FaultRule.For("GET", "felixconfigurations/default$").Before(ctx =>
            {
                if (enable == null && _proxy.Requests.Any(q => q.Method == "GET" && q.Path.EndsWith("/serviceentries/dikastes", StringComparison.Ordinal)))
                {
                    enable = _other.Invoke("Enable-CalicoAppLayerPolicy", new Hashtable { ["Kubeconfig"] = _cluster.Kubeconfig, ["Context"] = "admin" });
                }
                return Task.CompletedTask;
            }));

            var disable = _host.Invoke("Disable-CalicoAppLayerPolicy", new Hashtable { ["Kubeconfig"] = _kubeconfig, ["Context"] = "admin", ["Force"] = true, ["Verbose"] = true });

            Assert.NotNull(enable);
            enable!.AssertSuccess();
            Assert.Equal(4, enable.OutputOf<ResourceChange>().Count(c => c.Action is ChangeAction.Created or ChangeAction.Updated));
            disable.AssertSuccess();
            // Disable reported success, so the cluster must be fully disabled: no ext-authz without Felix's socket.
            Assert.Null(FelixPrefix());
            Assert.False(ExtAuthzPresent(), "ext-authz EnvoyFilter left behind while policySyncPathPrefix was removed (mixed state)");
            Assert.Null(_cluster.GetJson("-n", "istio-system", "get", "serviceentries.networking.istio.io", "dikastes"));
            Assert.Contains(disable.Verbose, v => v.Contains("changed since they were read", StringComparison.Ordinal));
            Assert.Contains(disable.OutputOf<ResourceChange>(), c => c.Kind == "EnvoyFilter" && c.Action == ChangeAction.Deleted);
        }

        [Fact]
        public void Enable_and_Disable_racing_on_two_threads_never_both_succeed_on_a_mixed_state()
        {
            // Latency on every read widens the window between planning and writing.
            _proxy!.AddFault(FaultRule.For("GET").WithProbability(0.5, seed: 3).Delay(TimeSpan.FromMilliseconds(40)));
            for (var round = 0; round < 6; round++)
            {
                InvocationResult? a = null, b = null;
                var t1 = new Thread(() => a = _host.Invoke("Enable-CalicoAppLayerPolicy", new Hashtable { ["Kubeconfig"] = _kubeconfig, ["Context"] = "admin" }));
                var t2 = new Thread(() => b = _other.Invoke("Disable-CalicoAppLayerPolicy", new Hashtable { ["Kubeconfig"] = _kubeconfig, ["Context"] = "admin", ["Force"] = true }));
                t1.Start();
                t2.Start();
                t1.Join();
                t2.Join();
                var on = FelixPrefix() != null;
                var mesh = ExtAuthzPresent();
                if (on != mesh)
                {
                    // A mixed state is only acceptable when one of the two said it did not finish.
                    Assert.True(a!.Terminating != null || b!.Terminating != null,
                        $"round {round}: mixed state (prefix {(on ? "set" : "removed")}, ext-authz {(mesh ? "present" : "absent")}) and both commands succeeded");
                }
                AlpClusterState.Reset(_cluster);
            }
        }
    }
}
