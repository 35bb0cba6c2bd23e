using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;

namespace CalicoAlp.Hosting
{
    /// <summary>
    /// Runs core async work on the thread pool while the pipeline thread pumps its Verbose/Warning/Progress
    /// messages, so every Write* call happens on the pipeline thread and messages appear as they happen.
    /// </summary>
    internal sealed class PipelineBridge : IOperationLog
    {
        private readonly BlockingCollection<Action<PSCmdlet>> _queue = new();
        private readonly int _activityId;

        public PipelineBridge(int activityId) => _activityId = activityId;

        public void Verbose(string message) => _queue.TryAdd(c => c.WriteVerbose(message));
        public void Warning(string message) => _queue.TryAdd(c => c.WriteWarning(message));
        public void Progress(string activity, string status, int percentComplete) =>
            _queue.TryAdd(c => c.WriteProgress(new ProgressRecord(_activityId, activity, status) { PercentComplete = Math.Clamp(percentComplete, 0, 100) }));

        public T Run<T>(PSCmdlet cmdlet, Func<CancellationToken, Task<T>> work, CancellationToken ct)
        {
            var task = Task.Run(() => work(ct), ct);
            task.ContinueWith(_ => _queue.TryAdd(static _ => { }), TaskScheduler.Default);
            while (!task.IsCompleted)
            {
                if (_queue.TryTake(out var action, Timeout.Infinite))
                {
                    action(cmdlet);
                }
            }
            Drain(cmdlet);
            return task.GetAwaiter().GetResult();
        }

        /// <summary>Writes whatever is queued (call on the pipeline thread).</summary>
        public void Drain(PSCmdlet cmdlet)
        {
            while (_queue.TryTake(out var action))
            {
                action(cmdlet);
            }
        }
    }
}
