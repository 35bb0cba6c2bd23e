using System;

namespace CalicoAlp.Core.Diagnostics
{
    /// <summary>What kind of failure an <see cref="AlpException"/> is; the cmdlet layer maps it to an ErrorCategory.</summary>
    public enum AlpErrorKind
    {
        InvalidArgument,
        InvalidData,
        ObjectNotFound,
        PermissionDenied,
        AuthenticationError,
        ConnectionError,
        OperationTimeout,
        ResourceBusy,
        NotInstalled,
        InvalidOperation,
        NotImplemented,
        /// <summary>A file could not be written (full disk, no permission, missing folder).</summary>
        WriteError,
        /// <summary>A security check failed (the API server's certificate did not verify).</summary>
        SecurityError,
    }

    /// <summary>
    /// The one exception type the core throws for expected failures. It carries a stable PascalCase error id,
    /// a kind, and the target (resource, file:line or field) at fault, so that the cmdlet layer can build a
    /// precise ErrorRecord. Messages never contain tokens, passwords or certificate data.
    /// </summary>
    public sealed class AlpException : Exception
    {
        public AlpException(string errorId, AlpErrorKind kind, string message, object? target = null, Exception? inner = null)
            : base(message, inner)
        {
            ErrorId = errorId;
            Kind = kind;
            Target = target;
        }

        public string ErrorId { get; }
        public AlpErrorKind Kind { get; }
        public object? Target { get; }
        /// <summary>A hint for the user (shown as the ErrorRecord's recommended action).</summary>
        public string? RecommendedAction { get; init; }
    }
}
