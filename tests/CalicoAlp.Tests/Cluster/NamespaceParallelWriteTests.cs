using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Changes;
using CalicoAlp.Core.Results;
using CalicoAlp.Testing.Faults;
using CalicoAlp.Tests.Infrastructure;
using Xunit;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>
    /// Add-AlpNamespace over many namespaces: the label writes (and their dry runs) go through the change runner in
    /// parallel, at most <see cref="ChangeRunner.DefaultMaxParallelism"/> at a time, counted at the fault proxy (each
    /// namespace PATCH is held there a moment, so overlapping requests are seen whatever the machine's speed); a write
    /// that fails in the middle reports exactly the namespaces already labelled.
    /// </summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class NamespaceParallelWriteTests : IAsyncLifetime, IDisposable
    {
        private const int NamespaceCount = 12;
        private readonly ClusterFixture _cluster;
        private readonly WorkloadFactory _make;
        private readonly CmdletHost _host = new();
        private readonly string _prefix = "alppar" + Guid.NewGuid().ToString("N")[..6];
        private readonly List<string> _namespaces = new();
        private FaultProxy? _proxy;
        private string _kubeconfig = "";
        private int _inFlight;
        private int _maxInFlight;
        private int _patches;

        public NamespaceParallelWriteTests(ClusterFixture cluster)
        {
            _cluster = cluster;
            _make = new WorkloadFactory(cluster);
        }

        public async Task InitializeAsync()
        {
            for (var i = 0; i < NamespaceCount; i++)
            {
                var name = $"{_prefix}-{i:d2}";
                _make.Namespace(name);
                _namespaces.Add(name);
            }
            var ca = await File.ReadAllTextAsync(_cluster.Env["CA_CERT"]);
            _proxy = await FaultProxy.StartAsync(_cluster.ApiServerUrl, ca);
            _kubeconfig = ProxyKubeconfig.Write(_cluster, _proxy);
            // Every PATCH of one of these namespaces (dry run or write) is held 300 ms: requests in flight together overlap.
            _proxy.AddFault(FaultRule.For("PATCH", $"^/api/v1/namespaces/{_prefix}-").Named("count-and-hold").Before(async ctx =>
            {
                Interlocked.Increment(ref _patches);
                var now = Interlocked.Increment(ref _inFlight);
                for (var seen = Volatile.Read(ref _maxInFlight); now > seen; seen = Volatile.Read(ref _maxInFlight))
                {
                    if (Interlocked.CompareExchange(ref _maxInFlight, now, seen) == seen) break;
                }
                try
                {
                    await Task.Delay(300, ctx.CancellationToken);
                }
                finally
                {
                    Interlocked.Decrement(ref _inFlight);
                }
            }));
        }

        public async Task DisposeAsync()
        {
            if (_proxy != null) await _proxy.DisposeAsync();
            File.Delete(_kubeconfig);
        }

        public void Dispose()
        {
            foreach (var ns in _namespaces) _make.DeleteNamespace(ns);
            _host.Dispose();
        }

        private Hashtable Params() => new() { ["Kubeconfig"] = _kubeconfig, ["Context"] = "admin", ["Name"] = $"{_prefix}-*" };

        private string? Label(string ns) => _cluster.GetJson("get", "namespace", ns)?["metadata"]?["labels"]?["istio-injection"]?.GetValue<string>();

        [Fact]
        public void Add_writes_labels_concurrently_but_never_more_than_the_bound()
        {
            var r = _host.Invoke("Add-AlpNamespace", Params());
            r.AssertSuccess();
            var results = r.OutputOf<AlpNamespaceResult>().ToList();
            Assert.Equal(_namespaces, results.Select(x => x.Namespace)); // one result per namespace, in order
            Assert.All(results, x => Assert.Equal(ChangeAction.Updated, x.LabelAction));
            Assert.All(_namespaces, ns => Assert.Equal("enabled", Label(ns)));
            Assert.Equal(2 * NamespaceCount, _patches); // one dry run and one write each
            Assert.InRange(_maxInFlight, 2, ChangeRunner.DefaultMaxParallelism); // concurrent, and bounded
        }

        [Fact]
        public void A_write_failing_in_the_middle_names_exactly_the_namespaces_already_labelled()
        {
            var failing = _namespaces[2];
            var bumps = 0;
            // Someone keeps changing the namespace just before each real write (not the dry run): every guarded write
            // of it gets a 409 and the runner gives up after its re-plans, while the other namespaces' writes go on.
            _proxy!.AddFault(FaultRule.For("PATCH", $"^/api/v1/namespaces/{failing}$").Named("concurrent-writer").Before(async ctx =>
            {
                if (ctx.Query.Contains("dryRun", StringComparison.Ordinal)) return;
                using var bump = new HttpRequestMessage(HttpMethod.Patch, ctx.Path)
                {
                    Content = new StringContent($"{{\"metadata\":{{\"labels\":{{\"bump\":\"{Interlocked.Increment(ref bumps)}\"}}}}}}", Encoding.UTF8, "application/merge-patch+json"),
                };
                bump.Headers.Authorization = ctx.Headers.Authorization;
                using var response = await ctx.Proxy.SendUpstreamAsync(bump, ctx.CancellationToken);
                response.EnsureSuccessStatusCode();
            }));

            var r = _host.Invoke("Add-AlpNamespace", Params());
            Assert.Empty(r.OutputOf<AlpNamespaceResult>());
            var err = Assert.Single(r.Errors);
            var message = err.Exception.Message;
            Assert.Contains("kept changing under us", message, StringComparison.Ordinal);
            Assert.Equal(ChangeRunner.MaxConflictRetries + 1, bumps);
            Assert.Null(Label(failing));
            var marker = "Already applied: ";
            var at = message.IndexOf(marker, StringComparison.Ordinal);
            Assert.True(at >= 0, message);
            var listed = message[(at + marker.Length)..].Split(". ")[0].Split(", ").ToList();
            var labelled = _namespaces.Where(ns => Label(ns) == "enabled").Select(ns => $"Namespace {ns}").ToList();
            Assert.NotEmpty(labelled);
            Assert.Equal(labelled, listed); // in plan order, exactly those written
            // Every dry run, one write per labelled namespace, the failing one's attempts: nothing written twice.
            Assert.Equal(NamespaceCount + labelled.Count + ChangeRunner.MaxConflictRetries + 1, _patches);
        }
    }
}
