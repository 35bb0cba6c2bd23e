using System;
using System.Collections.Generic;

namespace CalicoAlp.Core.Injector
{
    /// <summary>
    /// A structural check of a Go text/template: every action is closed on the same delimiters, and the block actions
    /// (if, range, with, define, block) are closed by end in order, with else only inside if/range/with. It does not
    /// evaluate anything; it proves that an edit did not break the template's action structure.
    /// </summary>
    public static class GoTemplateCheck
    {
        /// <summary>The action delimiters a template uses: [[ ]] (Istio 1.0/1.1 injector) or {{ }} (1.2 on).</summary>
        public static (string Open, string Close) DelimitersOf(string template) =>
            template.Contains("{{", StringComparison.Ordinal) || !template.Contains("[[", StringComparison.Ordinal)
                ? ("{{", "}}")
                : ("[[", "]]");

        /// <summary>Null when balanced, otherwise what is wrong (with the 1-based line).</summary>
        public static string? FindProblem(string template, out int actionCount)
        {
            var (open, close) = DelimitersOf(template);
            actionCount = 0;
            var stack = new Stack<(string Keyword, int Line)>();
            var pos = 0;
            while (true)
            {
                var start = template.IndexOf(open, pos, StringComparison.Ordinal);
                var strayClose = template.IndexOf(close, pos, StringComparison.Ordinal);
                if (start < 0)
                {
                    if (strayClose >= 0 && open == "{{") return $"'{close}' without '{open}' at line {LineOf(template, strayClose)}";
                    break;
                }
                if (strayClose >= 0 && strayClose < start && open == "{{")
                {
                    return $"'{close}' without '{open}' at line {LineOf(template, strayClose)}";
                }
                var end = FindClose(template, start + open.Length, open, close);
                if (end < 0) return $"action opened with '{open}' at line {LineOf(template, start)} is not closed";
                actionCount++;
                var body = template.Substring(start + open.Length, end - start - open.Length);
                var keyword = KeywordOf(body);
                var line = LineOf(template, start);
                switch (keyword)
                {
                    case "if":
                    case "range":
                    case "with":
                    case "define":
                    case "block":
                        stack.Push((keyword, line));
                        break;
                    case "else":
                        if (stack.Count == 0 || stack.Peek().Keyword is "define" or "block") return $"'else' outside if/range/with at line {line}";
                        break;
                    case "end":
                        if (stack.Count == 0) return $"'end' without an open block at line {line}";
                        stack.Pop();
                        break;
                }
                pos = end + close.Length;
            }
            if (stack.Count > 0)
            {
                var (k, l) = stack.Peek();
                return $"'{k}' at line {l} is never closed by 'end'";
            }
            return null;
        }

        /// <summary>The closing delimiter of an action, skipping quoted strings, raw strings and comments.</summary>
        private static int FindClose(string s, int from, string open, string close)
        {
            var i = from;
            while (i < s.Length)
            {
                if (string.CompareOrdinal(s, i, close, 0, close.Length) == 0) return i;
                if (string.CompareOrdinal(s, i, open, 0, open.Length) == 0) return -1; // a new action before this one closed
                var c = s[i];
                if (c == '\n') return -1; // Go allows newlines in actions only inside comments and raw strings; Istio never uses that
                if (c == '"')
                {
                    i++;
                    while (i < s.Length && s[i] != '"' && s[i] != '\n')
                    {
                        if (s[i] == '\\') i++;
                        i++;
                    }
                    if (i >= s.Length || s[i] == '\n') return -1;
                }
                else if (c == '`')
                {
                    var e = s.IndexOf('`', i + 1);
                    if (e < 0) return -1;
                    i = e;
                }
                else if (c == '/' && i + 1 < s.Length && s[i + 1] == '*')
                {
                    var e = s.IndexOf("*/", i + 2, StringComparison.Ordinal);
                    if (e < 0) return -1;
                    i = e + 1;
                }
                i++;
            }
            return -1;
        }

        private static string KeywordOf(string body)
        {
            var t = body.Trim();
            if (t.StartsWith('-')) t = t[1..];
            if (t.EndsWith('-')) t = t[..^1];
            t = t.Trim();
            if (t.StartsWith("/*", StringComparison.Ordinal)) return "";
            var sp = 0;
            while (sp < t.Length && (char.IsLetter(t[sp]))) sp++;
            return t[..sp];
        }

        private static int LineOf(string s, int index)
        {
            var line = 1;
            for (var i = 0; i < index && i < s.Length; i++) if (s[i] == '\n') line++;
            return line;
        }
    }
}
