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

        /// <summary>Queues an action for the pipeline thread (runs while <see cref="Run{T}"/> pumps).</summary>
        public void Post(Action<PSCmdlet> action) => _queue.TryAdd(action);

        /// <summary>
        /// Asks something on the pipeline thread (e.g. ShouldProcess) from core work running under <see cref="Run{T}"/>;
        /// completes once the pump has run it. Never call it from the pipeline thread itself.
        /// </summary>
        public Task<T> Ask<T>(Func<PSCmdlet, T> question, CancellationToken ct)
        {
            var answer = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            _queue.TryAdd(c =>
            {
                try
                {
                    answer.TrySetResult(question(c));
                }
                catch (Exception ex)
                {
                    answer.TrySetException(ex);
                }
            });
            return answer.Task.WaitAsync(ct);
        }

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
