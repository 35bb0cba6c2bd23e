using CalicoAlp.Core.Diagnostics;

namespace CalicoAlp.Hosting
{
    /// <summary>
    /// The core's log for one cluster of a run over several: every message starts with "[context] ", so the Verbose and
    /// Warning streams of clusters worked on at once can be told apart. Thread-safe as the bridge it forwards to.
    /// </summary>
    internal sealed class ContextLog : IOperationLog
    {
        private readonly IOperationLog _inner;
        private readonly string _prefix;

        public ContextLog(IOperationLog inner, string context)
        {
            _inner = inner;
            _prefix = $"[{context}] ";
        }

        public void Verbose(string message) => _inner.Verbose(_prefix + message);
        public void Warning(string message) => _inner.Warning(_prefix + message);
        public void Progress(string activity, string status, int percentComplete) => _inner.Progress(activity, _prefix + status, percentComplete);
    }
}
