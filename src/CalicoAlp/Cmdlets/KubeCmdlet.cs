using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Completers;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Kube;
using CalicoAlp.Hosting;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// Base of the cmdlets that talk to clusters: -Kubeconfig and -Context (both bindable by property name, so the results
    /// of one cmdlet drive the next; -Context takes several contexts), -ThrottleLimit and -SkipTlsVerify. One connection
    /// per (kubeconfig, context) is kept for the whole pipeline. <see cref="RunClusters"/> works on several clusters at once.
    /// </summary>
    public abstract class KubeCmdlet : AlpCmdlet
    {
        private readonly Dictionary<string, KubeApi> _connections = new(StringComparer.Ordinal);
        private readonly List<ClusterTarget> _targets = new();

        /// <summary>Kubeconfig file(s); default: $env:KUBECONFIG, then ~/.kube/config, then in-cluster.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("KubeConfigPath")]
        public string[]? Kubeconfig { get; set; }

        /// <summary>The kubeconfig context(s); default: the current context. Several contexts are worked on at once (-ThrottleLimit).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(ContextCompleter))]
        [ValidateNotNullOrEmpty]
        public string[]? Context { get; set; }

        /// <summary>How many clusters are worked on at the same time.</summary>
        [Parameter]
        [ValidateRange(1, 64)]
        public int ThrottleLimit { get; set; } = DefaultThrottleLimit;

        public const int DefaultThrottleLimit = 5;

        /// <summary>Turns off verification of the API server's TLS certificate. Never the default.</summary>
        [Parameter]
        public SwitchParameter SkipTlsVerify { get; set; }

        /// <summary>The clusters of the current record's -Kubeconfig/-Context (one per context; the current context without -Context).</summary>
        private protected IReadOnlyList<ClusterTarget> CurrentTargets()
        {
            var paths = new List<string>();
            if (Kubeconfig != null)
            {
                foreach (var p in Kubeconfig)
                {
                    foreach (var part in p.Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                    {
                        paths.Add(SessionState.Path.GetUnresolvedProviderPathFromPSPath(part));
                    }
                }
            }
            var contexts = Context is { Length: > 0 } ? Context.Distinct(StringComparer.Ordinal).ToArray() : new string?[] { null };
            return contexts.Select(c => new ClusterTarget(paths, c, SkipTlsVerify.IsPresent)).ToList();
        }

        /// <summary>Adds the current record's clusters to those <see cref="CollectedTargets"/> runs at the end (each once).</summary>
        private protected IReadOnlyList<ClusterTarget> CollectTargets()
        {
            var current = CurrentTargets();
            foreach (var t in current)
            {
                if (!_targets.Contains(t)) _targets.Add(t);
            }
            return current;
        }

        /// <summary>Every cluster collected from the pipeline so far, in the order first seen.</summary>
        private protected IReadOnlyList<ClusterTarget> CollectedTargets => _targets;

        /// <summary>The -Kubeconfig paths as given (for results naming a cluster that could not be reached).</summary>
        internal string? KubeconfigText => Kubeconfig == null ? null : string.Join(System.IO.Path.PathSeparator, Kubeconfig);

        /// <summary>The connection for the current record's -Kubeconfig/-Context (one context only; opened once per pipeline).</summary>
        /// <param name="terminate">False: a connection error is thrown as the core's exception instead of ending the cmdlet.</param>
        protected KubeApi Connect(bool terminate = true)
        {
            var targets = CurrentTargets();
            if (targets.Count > 1)
            {
                Terminate(new AlpException("OneContextOnly", AlpErrorKind.InvalidArgument,
                    $"{MyInvocation.MyCommand.Name} works on one cluster here; -Context named {targets.Count}: {string.Join(", ", targets.Select(t => t.DisplayName))}.", "Context"));
            }
            try
            {
                return Connect(targets[0], Log);
            }
            catch (AlpException ex) when (terminate)
            {
                Terminate(ex);
                throw; // unreachable
            }
        }

        private KubeApi Connect(ClusterTarget target, IOperationLog log)
        {
            lock (_connections)
            {
                if (_connections.TryGetValue(target.Key, out var existing)) return existing;
            }
            var options = new KubeConnectionOptions { KubeconfigPaths = target.Kubeconfig, Context = string.IsNullOrEmpty(target.Context) ? null : target.Context, SkipTlsVerify = target.SkipTlsVerify };
            var api = KubeConnector.Connect(options, log);
            lock (_connections)
            {
                if (_connections.TryGetValue(target.Key, out var raced))
                {
                    api.Dispose();
                    return raced;
                }
                _connections[target.Key] = api;
                return api;
            }
        }

        /// <summary>
        /// Runs <paramref name="work"/> for each cluster, up to -ThrottleLimit at once, inside one <see cref="AlpCmdlet.Run"/>:
        /// the pipeline thread writes what each cluster's work posts (results, Verbose, Warning, prompts) while they run.
        /// With one cluster, a failed connection stops the cmdlet and the work's error propagates, as before (the cmdlet
        /// decides: terminating or not). With several, a cluster that cannot be reached, refuses the credentials or the
        /// request, or fails otherwise gives one non-terminating error whose TargetObject is its context, and the other
        /// clusters go on. Ctrl+C cancels all. <paramref name="failed"/>: a cmdlet that reports a cluster it could not
        /// work on as results of its own (Get-AlpStatus) gets the target, the core's error and a writer instead, in both cases.
        /// </summary>
        private protected void RunClusters(IReadOnlyList<ClusterTarget> targets, Func<ClusterScope, CancellationToken, Task> work,
            Action<ClusterTarget, AlpException, Action<object>>? failed = null)
        {
            if (targets.Count == 0) return;
            if (targets.Count == 1)
            {
                // As it always was with one cluster: a connection that cannot be made stops the cmdlet.
                var only = targets[0];
                KubeApi api;
                try
                {
                    api = Connect(only, Log);
                }
                catch (AlpException ex)
                {
                    if (failed == null) Terminate(ex);
                    failed!(only, ex, WriteObject);
                    return;
                }
                try
                {
                    Run(ct => work(new ClusterScope(only, api, Log, Bridge), ct));
                }
                catch (AlpException ex) when (failed != null)
                {
                    failed(only, ex, WriteObject);
                }
                return;
            }
            Run(ct => Parallel.ForEachAsync(targets, new ParallelOptions { MaxDegreeOfParallelism = ThrottleLimit, CancellationToken = ct }, async (target, token) =>
            {
                var log = new ContextLog(Bridge, target.DisplayName);
                try
                {
                    var api = Connect(target, log);
                    await work(new ClusterScope(target, api, log, Bridge), token).ConfigureAwait(false);
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    var inner = ex is AggregateException { InnerException: { } i } ? i : ex;
                    if (failed != null && (inner as AlpException ?? ExceptionMapping.ToAlp(inner)) is { } alp)
                    {
                        failed(target, alp, o => Bridge.Post(c => c.WriteObject(o)));
                        return;
                    }
                    var record = ClusterError(target, ex);
                    Bridge.Post(c => c.WriteError(record));
                }
            }));
        }

        /// <summary>One cluster's failure as a non-terminating error: the core's ErrorId and category, the context as target.</summary>
        private static ErrorRecord ClusterError(ClusterTarget target, Exception ex)
        {
            var inner = ex is AggregateException { InnerException: { } i } ? i : ex;
            var alp = inner as AlpException ?? ExceptionMapping.ToAlp(inner);
            var record = alp != null
                ? new ErrorRecord(alp, alp.ErrorId, CategoryOf(alp.Kind), target.DisplayName)
                : new ErrorRecord(inner, "ClusterFailed", ErrorCategory.NotSpecified, target.DisplayName);
            var message = (alp ?? inner).Message;
            if (!message.Contains($"'{target.DisplayName}'", StringComparison.Ordinal)) message = $"Context '{target.DisplayName}': {message}";
            record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = alp?.RecommendedAction };
            return record;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                lock (_connections)
                {
                    foreach (var c in _connections.Values) c.Dispose();
                    _connections.Clear();
                }
            }
            base.Dispose(disposing);
        }
    }
}
