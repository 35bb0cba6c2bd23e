using System.Collections.Generic;
using System.Management.Automation;
using CalicoAlp.Core.Diagnostics;

namespace CalicoAlp.Cmdlets
{
    /// <summary>PowerShell paths (wildcards, PSDrives, relative to the current location) resolved to file system paths.</summary>
    internal static class ProviderPaths
    {
        /// <summary>Every path resolved; one that matches nothing stops with <paramref name="errorId"/> ("&lt;what&gt; 'p' does not exist.").</summary>
        public static List<string> Resolve(PSCmdlet cmdlet, IEnumerable<string> paths, string errorId, string what)
        {
            var resolved = new List<string>();
            foreach (var p in paths)
            {
                try
                {
                    resolved.AddRange(cmdlet.GetResolvedProviderPathFromPSPath(p, out _));
                }
                catch (ItemNotFoundException)
                {
                    throw new AlpException(errorId, AlpErrorKind.ObjectNotFound, $"{what} '{p}' does not exist.", p);
                }
            }
            return resolved;
        }
    }
}
