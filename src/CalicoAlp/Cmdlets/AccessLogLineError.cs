using System.Globalization;
using System.Management.Automation;
using CalicoAlp.Core.Diagnostics;

namespace CalicoAlp.Cmdlets
{
    /// <summary>The non-terminating error a bad access log line is reported as (ErrorId AccessLogLineInvalid, target file:line).</summary>
    internal static class AccessLogLineError
    {
        public static ErrorRecord For(string file, long line, string message)
        {
            var where = $"{file}:{line.ToString(CultureInfo.InvariantCulture)}";
            return AlpCmdlet.ToErrorRecord(new AlpException("AccessLogLineInvalid", AlpErrorKind.InvalidData, $"{where}: {message}", where));
        }
    }
}
