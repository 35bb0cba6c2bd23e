using System.Collections.Generic;
using CalicoAlp.Core.Diagnostics;

namespace CalicoAlp.Core.Policy.Selectors
{
    /// <summary>
    /// Recursive-descent parser for the Calico selector language (spec section 6). Works directly on the text
    /// so that errors can name the 1-based column where the problem starts.
    /// </summary>
    internal sealed class SelectorParser
    {
        internal const int MaxLabelLength = 512;
        private const int MaxExcerptLength = 100;

        private readonly string _text;
        private int _pos;
        /// <summary>Open parentheses around the current position (bounded by <see cref="InputLimits.SelectorNesting"/>).</summary>
        private int _depth;

        private SelectorParser(string text) => _text = text;

        internal static SelectorNode ParseNode(string text)
        {
            var p = new SelectorParser(text);
            p.SkipWhitespace();
            if (p._pos == text.Length) return AllNode.Instance;
            var node = p.ParseOr();
            p.SkipWhitespace();
            if (p._pos != text.Length) throw p.Error("unexpected " + p.Describe() + " after a complete expression");
            return node;
        }

        internal static bool IsLabelChar(char c) =>
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '/' || c == '-';

        private AlpException Error(string what, string errorId = "InvalidSelector") =>
            new(errorId, AlpErrorKind.InvalidArgument,
                $"Invalid selector '{Excerpt(_text)}': column {_pos + 1}: {what}", Excerpt(_text));

        /// <summary>The selector as shown in errors: a long one is cut, so that a hostile selector is not echoed whole.</summary>
        internal static string Excerpt(string text) => text.Length <= MaxExcerptLength ? text : text[..MaxExcerptLength] + "...";

        private string Describe()
        {
            if (_pos >= _text.Length) return "end of selector";
            char c = _text[_pos];
            if (c == '\n') return "newline";
            if (c == '\r') return "carriage return";
            return "'" + c + "'";
        }

        private void SkipWhitespace()
        {
            while (_pos < _text.Length && (_text[_pos] == ' ' || _text[_pos] == '\t')) _pos++;
        }

        private bool Peek(string s) => string.CompareOrdinal(_text, _pos, s, 0, s.Length) == 0;

        private SelectorNode ParseOr()
        {
            var first = ParseAnd();
            List<SelectorNode>? list = null;
            while (true)
            {
                SkipWhitespace();
                if (!Peek("||")) break;
                _pos += 2;
                list ??= new List<SelectorNode> { first };
                list.Add(ParseAnd());
            }
            return list == null ? first : new JunctionNode(false, list.ToArray());
        }

        private SelectorNode ParseAnd()
        {
            var first = ParseUnary();
            List<SelectorNode>? list = null;
            while (true)
            {
                SkipWhitespace();
                if (!Peek("&&")) break;
                _pos += 2;
                list ??= new List<SelectorNode> { first };
                list.Add(ParseUnary());
            }
            return list == null ? first : new JunctionNode(true, list.ToArray());
        }

        private SelectorNode ParseUnary()
        {
            int bangs = 0;
            while (true)
            {
                SkipWhitespace();
                if (_pos < _text.Length && _text[_pos] == '!' && !Peek("!="))
                {
                    bangs++;
                    _pos++;
                    continue;
                }
                break;
            }
            var node = ParsePrimary();
            return bangs % 2 == 1 ? new NotNode(node) : node;
        }

        private SelectorNode ParsePrimary()
        {
            SkipWhitespace();
            if (_pos >= _text.Length) throw Error("expected an expression but found end of selector");
            char c = _text[_pos];
            if (c == '(')
            {
                // Each group recurses (ParseOr..ParsePrimary); the limit keeps hostile input off the end of the stack.
                if (_depth == InputLimits.SelectorNesting)
                    throw Error($"parentheses nest deeper than {InputLimits.SelectorNesting} levels", "NestingTooDeep");
                _depth++;
                _pos++;
                var inner = ParseOr();
                SkipWhitespace();
                if (_pos >= _text.Length || _text[_pos] != ')') throw Error("expected ')' but found " + Describe());
                _pos++;
                _depth--;
                return inner;
            }
            if (Peek("has("))
            {
                _pos += 4;
                SkipWhitespace();
                var key = ParseLabel("a label inside has()");
                SkipWhitespace();
                if (_pos >= _text.Length || _text[_pos] != ')') throw Error("expected ')' to close has() but found " + Describe());
                _pos++;
                return new HasNode(key);
            }
            if (Peek("all(") || Peek("global("))
            {
                bool all = Peek("all(");
                _pos += all ? 4 : 7;
                SkipWhitespace();
                if (_pos >= _text.Length || _text[_pos] != ')') throw Error("expected ')' after '" + (all ? "all(" : "global(") + "' but found " + Describe());
                _pos++;
                return all ? AllNode.Instance : GlobalNode.Instance;
            }
            if (!IsLabelChar(c)) throw Error("expected a label, '(', '!', has(), all() or global() but found " + Describe());
            var label = ParseLabel("a label");
            return ParseOperation(label);
        }

        private string ParseLabel(string what)
        {
            int start = _pos;
            while (_pos < _text.Length && IsLabelChar(_text[_pos])) _pos++;
            if (_pos == start) throw Error("expected " + what + " but found " + Describe());
            if (_pos - start > MaxLabelLength)
            {
                _pos = start;
                throw Error($"label is longer than {MaxLabelLength} characters");
            }
            return _text.Substring(start, _pos - start);
        }

        /// <summary>Matches a word (and optional second word separated by optional spaces) followed by a word boundary.</summary>
        private bool TryWords(string first, string? second)
        {
            if (!Peek(first)) return false;
            int p = _pos + first.Length;
            if (second != null)
            {
                while (p < _text.Length && (_text[p] == ' ' || _text[p] == '\t')) p++;
                if (string.CompareOrdinal(_text, p, second, 0, second.Length) != 0) return false;
                p += second.Length;
            }
            if (p < _text.Length && IsLabelChar(_text[p])) return false;
            _pos = p;
            return true;
        }

        private SelectorNode ParseOperation(string label)
        {
            SkipWhitespace();
            int opColumn = _pos;
            if (Peek("=="))
            {
                _pos += 2;
                return new CompareNode(label, LabelOperator.Equal, ParseString("=="));
            }
            if (Peek("!="))
            {
                _pos += 2;
                return new CompareNode(label, LabelOperator.NotEqual, ParseString("!="));
            }
            if (TryWords("contains", null)) return new CompareNode(label, LabelOperator.Contains, ParseString("contains"));
            if (TryWords("starts", "with")) return new CompareNode(label, LabelOperator.StartsWith, ParseString("starts with"));
            if (TryWords("ends", "with")) return new CompareNode(label, LabelOperator.EndsWith, ParseString("ends with"));
            if (TryWords("not", "in")) return new SetNode(label, true, ParseSet("not in"));
            if (TryWords("in", null)) return new SetNode(label, false, ParseSet("in"));
            _pos = opColumn;
            throw Error("expected an operator (==, !=, in, not in, contains, starts with, ends with) after label '" +
                        (label.Length > 40 ? label.Substring(0, 40) + "..." : label) + "' but found " + Describe());
        }

        private string ParseString(string afterWhat)
        {
            SkipWhitespace();
            if (_pos >= _text.Length || (_text[_pos] != '"' && _text[_pos] != '\''))
                throw Error("expected a quoted string after '" + afterWhat + "' but found " + Describe());
            char quote = _text[_pos];
            int end = _text.IndexOf(quote, _pos + 1);
            if (end < 0) throw Error("unterminated string literal");
            var value = _text.Substring(_pos + 1, end - _pos - 1);
            _pos = end + 1;
            return value;
        }

        private List<string> ParseSet(string afterWhat)
        {
            SkipWhitespace();
            if (_pos >= _text.Length || _text[_pos] != '{') throw Error("expected '{' after '" + afterWhat + "' but found " + Describe());
            _pos++;
            var items = new List<string>();
            SkipWhitespace();
            if (_pos < _text.Length && _text[_pos] == '}')
            {
                _pos++;
                return items;
            }
            while (true)
            {
                SkipWhitespace();
                if (_pos >= _text.Length || (_text[_pos] != '"' && _text[_pos] != '\''))
                    throw Error("expected a quoted string in the set but found " + Describe());
                items.Add(ParseString("{"));
                SkipWhitespace();
                if (_pos < _text.Length && _text[_pos] == ',')
                {
                    _pos++;
                    SkipWhitespace();
                    if (_pos < _text.Length && _text[_pos] == '}')
                    {
                        _pos++;
                        return items;
                    }
                    continue;
                }
                if (_pos < _text.Length && _text[_pos] == '}')
                {
                    _pos++;
                    return items;
                }
                throw Error("expected ',' or '}' in the set but found " + Describe());
            }
        }
    }
}
