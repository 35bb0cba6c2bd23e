using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Completers
{
    /// <summary>Completes -Context from the kubeconfig the command would use (honours -Kubeconfig and $env:KUBECONFIG). No network.</summary>
    public sealed class ContextCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var word = (wordToComplete ?? "").Trim('\'', '"');
            var paths = new List<string>();
            if (fakeBoundParameters["Kubeconfig"] is { } kc)
            {
                if (kc is string s) paths.Add(s);
                else if (kc is IEnumerable e) paths.AddRange(e.Cast<object>().Select(o => o?.ToString() ?? "").Where(x => x.Length > 0));
            }
            var pattern = WildcardPattern.Get(word + "*", WildcardOptions.IgnoreCase);
            foreach (var name in KubeConnector.ListContexts(new KubeConnectionOptions { KubeconfigPaths = paths }))
            {
                if (!pattern.IsMatch(name)) continue;
                var text = name.IndexOfAny(new[] { ' ', '\'', '"', '$', '`' }) >= 0 ? "'" + name.Replace("'", "''") + "'" : name;
                yield return new CompletionResult(text, name, CompletionResultType.ParameterValue, name);
            }
        }
    }
}
