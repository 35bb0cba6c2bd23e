using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Core.Completion
{
    /// <summary>
    /// Names read from a cluster for tab completion (namespaces, Istio revisions). One read per (kubeconfig, context) is
    /// kept for <see cref="CacheFor"/>, so the repeated Tab presses of one completion session ask the API server once. A
    /// completion waits at most <see cref="Timeout"/> for it: a read still running then (a cold process, a slow cluster)
    /// goes on in the background, bounded by <see cref="ReadTimeout"/>, and the next Tab press gets its answer. Any
    /// failure (no kubeconfig, unreachable, 403, timeout) gives an empty list, tried again after <see cref="RetryFailedAfter"/>.
    /// Never throws, never logs.
    /// </summary>
    public static class ClusterCompletions
    {
        public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
        public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);
        public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
        public static readonly TimeSpan RetryFailedAfter = TimeSpan.FromSeconds(5);
        private const int MaxEntries = 32;
        private static readonly ConcurrentDictionary<string, (DateTime At, Task<IReadOnlyList<string>> Names)> Cache = new(StringComparer.Ordinal);

        /// <summary>The namespaces of the cluster, sorted.</summary>
        public static IReadOnlyList<string> Namespaces(IReadOnlyList<string> kubeconfigPaths, string? context) =>
            Cached("ns", kubeconfigPaths, context, async (api, ct) =>
                (await api.ListAsync(ResourceType.Namespace, null, null, null, ct).ConfigureAwait(false))
                    .Select(n => JsonFields.GetString(n, "metadata", "name") ?? "").Where(n => n.Length > 0).OrderBy(n => n, StringComparer.Ordinal).ToList());

        /// <summary>The Istio revisions installed in istio-system (<see cref="IstioRevisions.Names"/>).</summary>
        public static IReadOnlyList<string> Revisions(IReadOnlyList<string> kubeconfigPaths, string? context) =>
            Cached("rev", kubeconfigPaths, context, async (api, ct) =>
                (await IstioRevisions.FindAsync(api, AlpConstants.IstioNamespace, injectors: true, new List<string>(), ct).ConfigureAwait(false)).Names);

        private static IReadOnlyList<string> Cached(string what, IReadOnlyList<string> paths, string? context, Func<KubeApi, CancellationToken, Task<IReadOnlyList<string>>> read)
        {
            try
            {
                var key = what + "\u0001" + string.Join("\u0001", paths) + "\u0002" + context;
                var now = DateTime.UtcNow;
                if (!Cache.TryGetValue(key, out var entry) || now - entry.At >= CacheFor || (entry.Names.IsFaulted && now - entry.At >= RetryFailedAfter))
                {
                    if (Cache.Count >= MaxEntries) Cache.Clear();
                    entry = (now, StartRead(paths, context, read));
                    Cache[key] = entry;
                }
                // Connecting may run a credential plugin that ignores cancellation: never wait longer than the bound.
                return entry.Names.Wait(Timeout) ? entry.Names.Result : Array.Empty<string>();
            }
            catch (Exception)
            {
                return Array.Empty<string>();
            }
        }

        private static Task<IReadOnlyList<string>> StartRead(IReadOnlyList<string> paths, string? context, Func<KubeApi, CancellationToken, Task<IReadOnlyList<string>>> read)
        {
            var task = Task.Run(async () =>
            {
                using var cts = new CancellationTokenSource(ReadTimeout);
                var options = new KubeConnectionOptions
                {
                    KubeconfigPaths = paths,
                    Context = string.IsNullOrEmpty(context) ? null : context,
                    RequestTimeout = ReadTimeout,
                    MaxRetries = 0,
                };
                using var api = KubeConnector.Connect(options, NullOperationLog.Instance);
                return await read(api, cts.Token).ConfigureAwait(false);
            });
            _ = task.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return task;
        }
    }
}
