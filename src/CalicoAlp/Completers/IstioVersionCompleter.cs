using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using CalicoAlp.Core.Generations;

namespace CalicoAlp.Completers
{
    /// <summary>Completes -IstioVersion with the Istio releases the generation table knows (<see cref="IstioGeneration.Known"/>), newest first. No network.</summary>
    public sealed class IstioVersionCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters) =>
            CompleterArguments.Matching(IstioGeneration.Known.Reverse().Select(v => $"{v.Major}.{v.Minor}"), wordToComplete);
    }
}
