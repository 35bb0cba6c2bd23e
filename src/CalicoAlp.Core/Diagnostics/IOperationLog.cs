namespace CalicoAlp.Core.Diagnostics
{
    /// <summary>
    /// Where the core reports what it is doing. The cmdlet layer forwards these to the Verbose, Warning and
    /// Progress streams on the pipeline thread; the core never writes to a console itself.
    /// Implementations must be thread-safe: HTTP handlers call them from thread-pool threads.
    /// </summary>
    public interface IOperationLog
    {
        void Verbose(string message);
        void Warning(string message);
        void Progress(string activity, string status, int percentComplete);
    }

    /// <summary>A log that drops everything (used by tests and offline callers that do not care).</summary>
    public sealed class NullOperationLog : IOperationLog
    {
        public static readonly NullOperationLog Instance = new();
        public void Verbose(string message) { }
        public void Warning(string message) { }
        public void Progress(string activity, string status, int percentComplete) { }
    }
}
