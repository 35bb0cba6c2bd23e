using System;
using System.Collections;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Results;
using CalicoAlp.Testing.Faults;
using CalicoAlp.Tests.Infrastructure;
using Xunit;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>
    /// Enable-CalicoAppLayerPolicy through the project's fault-injecting proxy in front of the real API server:
    /// throttling, server errors, dropped connections, latency, a concurrent writer, and Ctrl+C.
    /// </summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class ReliabilityTests : IAsyncLifetime, IDisposable
    {
        private readonly ClusterFixture _cluster;
        private readonly CmdletHost _host = new();
        private FaultProxy? _proxy;
        private string _kubeconfig = "";

        public ReliabilityTests(ClusterFixture cluster)
        {
            _cluster = cluster;
            AlpClusterState.Reset(cluster);
        }

        public async Task InitializeAsync()
        {
            var ca = await File.ReadAllTextAsync(_cluster.Env["CA_CERT"]);
            _proxy = await FaultProxy.StartAsync(_cluster.ApiServerUrl, ca);
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
        }

        private Hashtable Params() => new() { ["Kubeconfig"] = _kubeconfig, ["Context"] = "admin", ["Verbose"] = true };

        private string? FelixPrefix() => _cluster.GetJson("get", "felixconfigurations.crd.projectcalico.org", "default")?["spec"]?["policySyncPathPrefix"]?.GetValue<string>();

        [Fact]
        public void Server_errors_and_throttling_are_retried_with_backoff()
        {
            _proxy!.AddFault(FaultRule.For("PATCH", "felixconfigurations/default$").Times(2).Respond(503));
            _proxy.AddFault(FaultRule.For("GET", "/apis$").Once().Respond(429, retryAfterSeconds: 1));
            _proxy.AddFault(FaultRule.For("POST", "envoyfilters$").Once().Respond(500));
            _proxy.AddFault(FaultRule.For("GET", "meshpolicies/default$").Once().Respond(504));
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
            r.AssertSuccess();
            Assert.Equal(new[] { ChangeAction.Updated, ChangeAction.Created, ChangeAction.Created, ChangeAction.Created }, r.OutputOf<ResourceChange>().Select(x => x.Action));
            Assert.Equal(5, _proxy.Requests.Count(q => q.FaultInjected));
            Assert.Equal(5, r.Verbose.Count(v => v.Contains("; retry ", StringComparison.Ordinal)));
            Assert.Contains(r.Verbose, v => v.Contains("429", StringComparison.Ordinal) && v.Contains("in 1000 ms", StringComparison.Ordinal)); // Retry-After honoured
            Assert.Equal("/var/run/nodeagent", FelixPrefix());
            Assert.NotNull(_cluster.GetJson("-n", "istio-system", "get", "envoyfilters.networking.istio.io", "ext-authz"));
        }

        [Fact]
        public void Dropped_connections_are_retried()
        {
            _proxy!.AddFault(FaultRule.For("GET", "felixconfigurations/default$").Once().Drop());
            _proxy.AddFault(FaultRule.For("POST", "serviceentries$").Once().Drop());
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
            r.AssertSuccess();
            Assert.Equal(2, _proxy.Requests.Count(q => q.FaultInjected));
            Assert.Equal("/var/run/nodeagent", FelixPrefix());
            Assert.NotNull(_cluster.GetJson("-n", "istio-system", "get", "serviceentries.networking.istio.io", "dikastes"));
        }

        [Fact]
        public void A_persistent_failure_stops_before_anything_is_written()
        {
            _proxy!.AddFault(FaultRule.For("POST", "destinationrules$").Respond(503));
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
            Assert.NotNull(r.Terminating);
            Assert.Equal(ErrorCategory.ResourceBusy, r.Terminating!.CategoryInfo.Category);
            Assert.Contains("503", r.Terminating.Exception.Message);
            Assert.Null(FelixPrefix()); // the dry run of the DestinationRule failed, so the Felix patch was never sent for real
            Assert.Null(_cluster.GetJson("-n", "istio-system", "get", "serviceentries.networking.istio.io", "dikastes"));
        }

        [Fact]
        public void A_concurrent_writer_is_not_overwritten_and_both_changes_survive()
        {
            var done = 0;
            _proxy!.AddFault(FaultRule.For("PATCH", "felixconfigurations/default$").Before(ctx =>
            {
                // Before our real (not dry-run) patch goes through, someone else changes the same object.
                if (!ctx.Query.Contains("dryRun", StringComparison.Ordinal) && Interlocked.Exchange(ref done, 1) == 0)
                {
                    _cluster.KubectlOk("patch", "felixconfigurations.crd.projectcalico.org", "default", "--type=merge", "-p", "{\"spec\":{\"logSeverityScreen\":\"Debug\"}}");
                }
                return Task.CompletedTask;
            }));
            try
            {
                var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
                r.AssertSuccess();
                Assert.Contains(r.Verbose, v => v.Contains("changed by someone else", StringComparison.Ordinal));
                var felix = _cluster.GetJson("get", "felixconfigurations.crd.projectcalico.org", "default")!;
                Assert.Equal("/var/run/nodeagent", felix["spec"]!["policySyncPathPrefix"]!.GetValue<string>());
                Assert.Equal("Debug", felix["spec"]!["logSeverityScreen"]!.GetValue<string>());
                Assert.Contains(_proxy.Requests, q => q.Method == "PATCH" && q.StatusCode == 409);
            }
            finally
            {
                _cluster.KubectlOk("patch", "felixconfigurations.crd.projectcalico.org", "default", "--type=merge", "-p", "{\"spec\":{\"logSeverityScreen\":\"Info\"}}");
            }
        }

        [Fact]
        public async Task A_slow_server_times_out_with_a_clear_error()
        {
            _proxy!.AddFault(FaultRule.For("GET", "felixconfigurations/default$").Delay(TimeSpan.FromSeconds(5)));
            var options = new KubeConnectionOptions
            {
                KubeconfigPaths = new[] { _kubeconfig },
                RequestTimeout = TimeSpan.FromMilliseconds(700),
                MaxRetries = 1,
                InitialBackoff = TimeSpan.FromMilliseconds(50),
            };
            using var api = KubeConnector.Connect(options, NullOperationLog.Instance);
            var ex = await Assert.ThrowsAsync<AlpException>(() => api.GetAsync(ResourceType.FelixConfiguration, null, "default", CancellationToken.None));
            Assert.Equal("ApiServerTimeout", ex.ErrorId);
            Assert.Equal(AlpErrorKind.OperationTimeout, ex.Kind);
            Assert.Contains("2 attempts", ex.Message);
        }

        [Fact]
        public void Ctrl_C_stops_a_command_waiting_on_a_slow_server()
        {
            _proxy!.AddFault(FaultRule.For("GET", "felixconfigurations/default$").Delay(TimeSpan.FromSeconds(25)));
            using var ps = _host.Create();
            ps.AddCommand("Enable-CalicoAppLayerPolicy").AddParameter("Kubeconfig", _kubeconfig).AddParameter("Context", "admin");
            var handle = ps.BeginInvoke();
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!_proxy.Requests.Any(q => q.Path.EndsWith("felixconfigurations/default", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
            var sw = System.Diagnostics.Stopwatch.StartNew();
            ps.Stop();
            Assert.Throws<PipelineStoppedException>(() => ps.EndInvoke(handle));
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"stopping took {sw.Elapsed}");
            Assert.Null(FelixPrefix());
        }

        [Fact]
        public void Add_AlpNamespace_rides_out_faults_on_its_lists_and_label_writes()
        {
            var ns = "relns" + Guid.NewGuid().ToString("N")[..6];
            _cluster.KubectlOk("create", "namespace", ns);
            try
            {
                _proxy!.AddFault(FaultRule.For("GET", "^/api/v1/namespaces$").Once().Drop());
                _proxy.AddFault(FaultRule.For("PATCH", $"^/api/v1/namespaces/{ns}$").Times(2).Respond(503));
                _proxy.AddFault(FaultRule.For("GET", $"^/api/v1/namespaces/{ns}/pods$").Once().Respond(429, retryAfterSeconds: 1));
                var r = _host.Invoke("Add-AlpNamespace", new Hashtable { ["Kubeconfig"] = _kubeconfig, ["Context"] = "admin", ["Name"] = ns });
                r.AssertSuccess();
                Assert.Equal(4, _proxy.Requests.Count(q => q.FaultInjected));
                Assert.Equal("enabled", _cluster.GetJson("get", "namespace", ns)!["metadata"]!["labels"]!["istio-injection"]!.GetValue<string>());
            }
            finally
            {
                _cluster.Kubectl("delete", "namespace", ns, "--wait=false");
            }
        }
    }
}
