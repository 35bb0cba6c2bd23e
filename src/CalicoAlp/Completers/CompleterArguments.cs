using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace CalicoAlp.Completers
{
    /// <summary>What the completers share: the command's -Kubeconfig/-Context as typed so far, and the results for a word.</summary>
    internal static class CompleterArguments
    {
        /// <summary>The kubeconfig files of the command line (none: the default the command would use).</summary>
        public static List<string> Kubeconfig(IDictionary fakeBoundParameters)
        {
            var paths = new List<string>();
            if (fakeBoundParameters["Kubeconfig"] is { } kc)
            {
                if (kc is string s) paths.Add(s);
                else if (kc is IEnumerable e) paths.AddRange(e.Cast<object>().Select(o => o?.ToString() ?? "").Where(x => x.Length > 0));
            }
            return paths;
        }

        /// <summary>The context of the command line (the first, when several are given), null for the current context.</summary>
        public static string? Context(IDictionary fakeBoundParameters) => fakeBoundParameters["Context"] switch
        {
            string s when s.Length > 0 => s,
            IEnumerable e => e.Cast<object>().Select(o => o?.ToString()).FirstOrDefault(x => !string.IsNullOrEmpty(x)),
            _ => null,
        };

        /// <summary>The candidates that start with the word (wildcards allowed), quoted when needed.</summary>
        public static IEnumerable<CompletionResult> Matching(IEnumerable<string> candidates, string? wordToComplete)
        {
            var word = (wordToComplete ?? "").Trim('\'', '"');
            var pattern = WildcardPattern.Get(word + "*", WildcardOptions.IgnoreCase);
            foreach (var name in candidates)
            {
                if (!pattern.IsMatch(name)) continue;
                var text = name.IndexOfAny(new[] { ' ', '\'', '"', '$', '`', ',', ';', '(', ')', '{', '}', '@', '#' }) >= 0 ? "'" + name.Replace("'", "''") + "'" : name;
                yield return new CompletionResult(text, name, CompletionResultType.ParameterValue, name);
            }
        }
    }
}
