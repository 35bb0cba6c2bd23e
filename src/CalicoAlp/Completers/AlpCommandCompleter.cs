using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using CalicoAlp.Core.Security;

namespace CalicoAlp.Completers
{
    /// <summary>Completes Get-AlpPermission's -Command with the module's cmdlets that have permission rows.</summary>
    public sealed class AlpCommandCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var pattern = WildcardPattern.Get((wordToComplete ?? "").Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
            foreach (var name in CmdletPermissions.Commands)
            {
                if (pattern.IsMatch(name)) yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, name);
            }
        }
    }
}
