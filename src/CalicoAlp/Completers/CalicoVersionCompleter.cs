using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using CalicoAlp.Core.Generations;

namespace CalicoAlp.Completers
{
    /// <summary>Completes -CalicoVersion with the Calico releases the generation table knows (<see cref="CalicoRelease.Known"/>), newest first. No network.</summary>
    public sealed class CalicoVersionCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters) =>
            CompleterArguments.Matching(CalicoRelease.Known.Reverse().Select(v => $"{v.Major}.{v.Minor}"), wordToComplete);
    }
}
