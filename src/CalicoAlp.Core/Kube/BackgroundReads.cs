using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace CalicoAlp.Core.Kube
{
    /// <summary>
    /// Reads started ahead of the point where their answers are needed, so that the API server works on them while the
    /// caller does other reads or plans (e.g. a cluster-wide pod LIST beside the Istio and policy reads). Only reads: the
    /// change flow's writes stay in <see cref="Changes.ChangeRunner"/>. Disposing cancels the reads nobody awaited (the
    /// caller failed on the way) and waits for them to end, so none outlives its command.
    /// </summary>
    public sealed class BackgroundReads : IAsyncDisposable
    {
        private readonly CancellationTokenSource _cts;
        private readonly List<Task> _started = new();

        public BackgroundReads(CancellationToken ct) => _cts = CancellationTokenSource.CreateLinkedTokenSource(ct);

        /// <summary>Starts <paramref name="read"/> now; await the task where its answer is needed.</summary>
        public Task<T> Start<T>(Func<CancellationToken, Task<T>> read)
        {
            var task = Task.Run(() => read(_cts.Token));
            _started.Add(task);
            return task;
        }

        public async ValueTask DisposeAsync()
        {
            if (_started.Any(t => !t.IsCompleted))
            {
                _cts.Cancel();
                try
                {
                    await Task.WhenAll(_started).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // The caller's own failure is the one reported; these reads were only cut short.
                }
            }
            _cts.Dispose();
        }
    }
}
