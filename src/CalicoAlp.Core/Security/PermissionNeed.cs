namespace CalicoAlp.Core.Security
{
    /// <summary>What happens without a permission rule.</summary>
    public enum PermissionNeed
    {
        /// <summary>The cmdlet stops with a 403 error (PermissionDenied) that names the verb and resource, before any write.</summary>
        Required,
        /// <summary>A read for detection: without it the cmdlet notes the 403 (-Verbose) and falls back (another source, or a failed prerequisite check).</summary>
        Detection,
    }
}
