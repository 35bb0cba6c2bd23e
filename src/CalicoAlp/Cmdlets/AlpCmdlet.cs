using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Hosting;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// Base of every CalicoAlp cmdlet: cancellation on Ctrl+C (StopProcessing), core work run off the pipeline
    /// thread with its messages written on it, and AlpException -> ErrorRecord mapping.
    /// </summary>
    public abstract class AlpCmdlet : PSCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _cts = new();
        private PipelineBridge? _bridge;

        protected CancellationToken CancellationToken => _cts.Token;

        /// <summary>The core's log for this cmdlet (messages reach the Verbose/Warning/Progress streams).</summary>
        internal IOperationLog Log => Bridge;

        internal PipelineBridge Bridge => _bridge ??= new PipelineBridge(Math.Abs(GetType().Name.GetHashCode() % 100000));

        protected override void StopProcessing() => _cts.Cancel();

        /// <summary>Runs async core work; Write* calls it causes happen here, on the pipeline thread.</summary>
        protected T Run<T>(Func<CancellationToken, Task<T>> work)
        {
            try
            {
                return Bridge.Run(this, work, _cts.Token);
            }
            catch (OperationCanceledException) when (_cts.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (AggregateException ex) when (ex.InnerException is OperationCanceledException && _cts.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (Exception ex) when (!_cts.IsCancellationRequested && ExceptionMapping.ToAlp(ex is AggregateException { InnerException: { } inner } ? inner : ex) is { } mapped)
            {
                // A raw .NET exception (I/O, parsing, HTTP, timeout) becomes our error with an id, category and target.
                throw mapped;
            }
        }

        protected void Run(Func<CancellationToken, Task> work) =>
            Run<bool>(async ct => { await work(ct).ConfigureAwait(false); return true; });

        internal static ErrorCategory CategoryOf(AlpErrorKind kind) => kind switch
        {
            AlpErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
            AlpErrorKind.InvalidData => ErrorCategory.InvalidData,
            AlpErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
            AlpErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
            AlpErrorKind.AuthenticationError => ErrorCategory.AuthenticationError,
            AlpErrorKind.ConnectionError => ErrorCategory.ConnectionError,
            AlpErrorKind.OperationTimeout => ErrorCategory.OperationTimeout,
            AlpErrorKind.ResourceBusy => ErrorCategory.ResourceBusy,
            AlpErrorKind.NotInstalled => ErrorCategory.NotInstalled,
            AlpErrorKind.NotImplemented => ErrorCategory.NotImplemented,
            AlpErrorKind.WriteError => ErrorCategory.WriteError,
            AlpErrorKind.SecurityError => ErrorCategory.SecurityError,
            _ => ErrorCategory.InvalidOperation,
        };

        internal static ErrorRecord ToErrorRecord(AlpException ex)
        {
            var record = new ErrorRecord(ex, ex.ErrorId, CategoryOf(ex.Kind), ex.Target);
            if (ex.RecommendedAction != null)
            {
                record.ErrorDetails = new ErrorDetails(ex.Message) { RecommendedAction = ex.RecommendedAction };
            }
            return record;
        }

        /// <summary>Stops the cmdlet with a terminating error built from the core's exception.</summary>
        protected void Terminate(AlpException ex) => ThrowTerminatingError(ToErrorRecord(ex));

        protected void Terminate(string errorId, ErrorCategory category, string message, object? target) =>
            ThrowTerminatingError(new ErrorRecord(new InvalidOperationException(message), errorId, category, target));

        /// <summary>Writes a progress record (and the same text as Verbose, since runbooks do not show progress).</summary>
        protected void Progress(string activity, string status, int percent, bool completed = false)
        {
            var record = new ProgressRecord(Math.Abs(GetType().Name.GetHashCode() % 100000), activity, status)
            {
                PercentComplete = Math.Clamp(percent, 0, 100),
                RecordType = completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
            };
            WriteProgress(record);
            if (!completed) WriteVerbose($"{activity}: {status}");
        }

        /// <summary>True under -WhatIf, given or through $WhatIfPreference (ShouldProcess then only describes).</summary>
        protected bool IsWhatIf =>
            MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w)
                ? w is SwitchParameter s && s.IsPresent
                : LanguagePrimitives.IsTrue(SessionState.PSVariable.GetValue("WhatIfPreference"));

        public void Dispose()
        {
            Dispose(true);
            GC.SuppressFinalize(this);
        }

        protected virtual void Dispose(bool disposing)
        {
            if (disposing)
            {
                _cts.Dispose();
            }
        }
    }
}
