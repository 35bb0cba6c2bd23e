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
    /// The pipeline thread sleeps on a kernel event between messages (a spinning wait burnt a core's worth of CPU
    /// beside a thousand parallel writes), and progress is thinned out: a record only when its percentage moves
    /// or <see cref="ProgressInterval"/> has passed (a host renders each record; five hundred of them cost seconds).
    /// </summary>
    internal sealed class PipelineBridge : IOperationLog
    {
        /// <summary>The most often a progress record with an unchanged percentage is written.</summary>
        public static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(200);
        private readonly ConcurrentQueue<Action<PSCmdlet>> _queue = new();
        private readonly AutoResetEvent _posted = new(false);
        private readonly int _activityId;
        private readonly object _progressLock = new();
        private readonly System.Collections.Generic.Dictionary<string, (int Percent, long At)> _lastProgress = new(StringComparer.Ordinal);

        public PipelineBridge(int activityId) => _activityId = activityId;

        public void Verbose(string message) => Post(c => c.WriteVerbose(message));
        public void Warning(string message) => Post(c => c.WriteWarning(message));
        public void Progress(string activity, string status, int percentComplete)
        {
            var percent = Math.Clamp(percentComplete, 0, 100);
            var now = Environment.TickCount64;
            lock (_progressLock)
            {
                if (_lastProgress.TryGetValue(activity, out var last) && last.Percent == percent && percent != 100 &&
                    now - last.At < (long)ProgressInterval.TotalMilliseconds)
                {
                    return;
                }
                _lastProgress[activity] = (percent, now);
            }
            Post(c => c.WriteProgress(new ProgressRecord(_activityId, activity, status) { PercentComplete = percent }));
        }

        /// <summary>Queues an action for the pipeline thread (runs while <see cref="Run{T}"/> pumps).</summary>
        public void Post(Action<PSCmdlet> action)
        {
            _queue.Enqueue(action);
            _posted.Set();
        }

        /// <summary>
        /// Asks something on the pipeline thread (e.g. ShouldProcess) from core work running under <see cref="Run{T}"/>;
        /// completes once the pump has run it. Never call it from the pipeline thread itself.
        /// </summary>
        public Task<T> Ask<T>(Func<PSCmdlet, T> question, CancellationToken ct)
        {
            var answer = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            Post(c =>
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
            task.ContinueWith(_ => _posted.Set(), TaskScheduler.Default);
            while (!task.IsCompleted)
            {
                Drain(cmdlet);
                if (!task.IsCompleted) _posted.WaitOne();
            }
            Drain(cmdlet);
            return task.GetAwaiter().GetResult();
        }

        /// <summary>Writes whatever is queued (call on the pipeline thread).</summary>
        public void Drain(PSCmdlet cmdlet)
        {
            while (_queue.TryDequeue(out var action))
            {
                action(cmdlet);
            }
        }
    }
}
