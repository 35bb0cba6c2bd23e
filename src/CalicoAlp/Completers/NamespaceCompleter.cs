using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using CalicoAlp.Core.Completion;

namespace CalicoAlp.Completers
{
    /// <summary>
    /// Completes namespace parameters from the cluster of the command's -Kubeconfig/-Context (as typed so far), through
    /// <see cref="ClusterCompletions.Namespaces"/>: cached for a short while, at most 2 s, nothing on any failure.
    /// </summary>
    public sealed class NamespaceCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters) =>
            CompleterArguments.Matching(ClusterCompletions.Namespaces(CompleterArguments.Kubeconfig(fakeBoundParameters), CompleterArguments.Context(fakeBoundParameters)), wordToComplete);
    }
}
