using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using CalicoAlp.Core.Completion;

namespace CalicoAlp.Completers
{
    /// <summary>
    /// Completes -Revision with the Istio revisions installed in istio-system on the command's cluster, through
    /// <see cref="ClusterCompletions.Revisions"/> (the one revision finder): cached for a short while, at most 2 s, nothing on any failure.
    /// </summary>
    public sealed class RevisionCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters) =>
            CompleterArguments.Matching(ClusterCompletions.Revisions(CompleterArguments.Kubeconfig(fakeBoundParameters), CompleterArguments.Context(fakeBoundParameters)), wordToComplete);
    }
}
