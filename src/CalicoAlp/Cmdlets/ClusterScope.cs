using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Kube;
using CalicoAlp.Hosting;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// What a cmdlet's per-cluster work (<see cref="KubeCmdlet.RunClusters"/>) gets for one cluster: its connection and
    /// the cmdlet's streams. It runs on a thread-pool thread, next to the other clusters' work; every Write* here is
    /// queued to the pipeline thread (PipelineBridge), which writes it while it waits for the clusters, so output,
    /// prompts and errors stay on the pipeline thread and in the order each cluster produced them.
    /// </summary>
    internal sealed class ClusterScope
    {
        private readonly PipelineBridge _bridge;

        public ClusterScope(ClusterTarget target, KubeApi api, IOperationLog log, PipelineBridge bridge)
        {
            Target = target;
            Api = api;
            Log = log;
            _bridge = bridge;
        }

        /// <summary>The cluster as asked for (-Kubeconfig, -Context): the key of what the cmdlet collected for it.</summary>
        public ClusterTarget Target { get; }

        /// <summary>The connection (its ContextName is the context every result carries).</summary>
        public KubeApi Api { get; }

        public string Context => Api.ContextName;

        /// <summary>The core's log for this cluster (prefixed with the context when several clusters run at once).</summary>
        public IOperationLog Log { get; }

        public void WriteObject(object value) => _bridge.Post(c => c.WriteObject(value));

        public void WriteVerbose(string message) => Log.Verbose(message);

        public void WriteWarning(string message) => Log.Warning(message);

        public void WriteError(ErrorRecord record) => _bridge.Post(c => c.WriteError(record));

        /// <summary>Asks on the pipeline thread (ShouldProcess, ShouldContinue): one question at a time, whatever the cluster.</summary>
        public Task<T> Ask<T>(Func<PSCmdlet, T> question, CancellationToken ct) => _bridge.Ask(question, ct);
    }
}
