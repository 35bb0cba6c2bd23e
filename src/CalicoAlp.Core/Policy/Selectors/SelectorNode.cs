using System;
using System.Collections.Generic;
using System.Text;

namespace CalicoAlp.Core.Policy.Selectors
{
    /// <summary>A node of a compiled Calico selector. Immutable; evaluation allocates nothing.</summary>
    public abstract class SelectorNode
    {
        /// <summary>Evaluates this node over a label map (keys and values are case-sensitive).</summary>
        public abstract bool Evaluate(IReadOnlyDictionary<string, string> labels);

        /// <summary>Appends the canonical form (spec section 6) of this node.</summary>
        internal abstract void AppendCanonical(StringBuilder sb);

        /// <summary>Returns a copy whose label keys carry <paramref name="prefix"/>; <c>all()</c> becomes
        /// <c>has(allKey)</c> and <c>global()</c> becomes <c>!has(allKey)</c> (Felix's namespace/SA selector rewrite).</summary>
        internal abstract SelectorNode WithPrefix(string prefix, string allKey);

        public override string ToString()
        {
            var sb = new StringBuilder();
            AppendCanonical(sb);
            return sb.ToString();
        }

        internal static void AppendLiteral(StringBuilder sb, string value)
        {
            char quote = value.IndexOf('"') >= 0 ? '\'' : '"';
            sb.Append(quote).Append(value).Append(quote);
        }
    }

    public sealed class AllNode : SelectorNode
    {
        public static readonly AllNode Instance = new();
        private AllNode() { }
        public override bool Evaluate(IReadOnlyDictionary<string, string> labels) => true;
        internal override void AppendCanonical(StringBuilder sb) => sb.Append("all()");
        internal override SelectorNode WithPrefix(string prefix, string allKey) => new HasNode(allKey);
    }

    /// <summary><c>global()</c>: true in plain evaluation (its scoping meaning exists only in the namespaceSelector rewrite).</summary>
    public sealed class GlobalNode : SelectorNode
    {
        public static readonly GlobalNode Instance = new();
        private GlobalNode() { }
        public override bool Evaluate(IReadOnlyDictionary<string, string> labels) => true;
        internal override void AppendCanonical(StringBuilder sb) => sb.Append("global()");
        internal override SelectorNode WithPrefix(string prefix, string allKey) => new NotNode(new HasNode(allKey));
    }

    public sealed class HasNode : SelectorNode
    {
        public HasNode(string key) => Key = key;
        public string Key { get; }
        public override bool Evaluate(IReadOnlyDictionary<string, string> labels) => labels.ContainsKey(Key);
        internal override void AppendCanonical(StringBuilder sb) => sb.Append("has(").Append(Key).Append(')');
        internal override SelectorNode WithPrefix(string prefix, string allKey) => new HasNode(prefix + Key);
    }

    public enum LabelOperator
    {
        Equal,
        NotEqual,
        Contains,
        StartsWith,
        EndsWith,
    }

    public sealed class CompareNode : SelectorNode
    {
        public CompareNode(string key, LabelOperator op, string value)
        {
            Key = key;
            Operator = op;
            Value = value;
        }

        public string Key { get; }
        public LabelOperator Operator { get; }
        public string Value { get; }

        public override bool Evaluate(IReadOnlyDictionary<string, string> labels)
        {
            bool present = labels.TryGetValue(Key, out var actual);
            switch (Operator)
            {
                case LabelOperator.Equal: return present && string.Equals(actual, Value, StringComparison.Ordinal);
                case LabelOperator.NotEqual: return !present || !string.Equals(actual, Value, StringComparison.Ordinal);
                case LabelOperator.Contains: return present && actual!.Contains(Value, StringComparison.Ordinal);
                case LabelOperator.StartsWith: return present && actual!.StartsWith(Value, StringComparison.Ordinal);
                default: return present && actual!.EndsWith(Value, StringComparison.Ordinal);
            }
        }

        internal override void AppendCanonical(StringBuilder sb)
        {
            sb.Append(Key).Append(' ');
            sb.Append(Operator switch
            {
                LabelOperator.Equal => "==",
                LabelOperator.NotEqual => "!=",
                LabelOperator.Contains => "contains",
                LabelOperator.StartsWith => "starts with",
                _ => "ends with",
            });
            sb.Append(' ');
            AppendLiteral(sb, Value);
        }

        internal override SelectorNode WithPrefix(string prefix, string allKey) => new CompareNode(prefix + Key, Operator, Value);
    }

    /// <summary><c>k in {..}</c> / <c>k not in {..}</c>; members are sorted and de-duplicated.</summary>
    public sealed class SetNode : SelectorNode
    {
        private readonly string[] _values;

        public SetNode(string key, bool negated, IEnumerable<string> values)
        {
            Key = key;
            Negated = negated;
            var sorted = new SortedSet<string>(values, StringComparer.Ordinal);
            _values = new string[sorted.Count];
            sorted.CopyTo(_values);
        }

        public string Key { get; }
        public bool Negated { get; }
        public IReadOnlyList<string> Values => _values;

        public override bool Evaluate(IReadOnlyDictionary<string, string> labels)
        {
            bool member = labels.TryGetValue(Key, out var actual) && Array.BinarySearch(_values, actual!, StringComparer.Ordinal) >= 0;
            return member != Negated;
        }

        internal override void AppendCanonical(StringBuilder sb)
        {
            sb.Append(Key).Append(Negated ? " not in {" : " in {");
            for (int i = 0; i < _values.Length; i++)
            {
                if (i > 0) sb.Append(", ");
                AppendLiteral(sb, _values[i]);
            }
            sb.Append('}');
        }

        internal override SelectorNode WithPrefix(string prefix, string allKey) => new SetNode(prefix + Key, Negated, _values);
    }

    public sealed class NotNode : SelectorNode
    {
        public NotNode(SelectorNode operand) => Operand = operand;
        public SelectorNode Operand { get; }
        public override bool Evaluate(IReadOnlyDictionary<string, string> labels) => !Operand.Evaluate(labels);
        internal override void AppendCanonical(StringBuilder sb)
        {
            sb.Append('!');
            Operand.AppendCanonical(sb);
        }
        internal override SelectorNode WithPrefix(string prefix, string allKey) => new NotNode(Operand.WithPrefix(prefix, allKey));
    }

    /// <summary>Conjunction (<c>&amp;&amp;</c>) or disjunction (<c>||</c>) of two or more operands.</summary>
    public sealed class JunctionNode : SelectorNode
    {
        private readonly SelectorNode[] _operands;

        public JunctionNode(bool isAnd, SelectorNode[] operands)
        {
            IsAnd = isAnd;
            _operands = operands;
        }

        public bool IsAnd { get; }
        public IReadOnlyList<SelectorNode> Operands => _operands;

        public override bool Evaluate(IReadOnlyDictionary<string, string> labels)
        {
            var ops = _operands;
            if (IsAnd)
            {
                for (int i = 0; i < ops.Length; i++)
                {
                    if (!ops[i].Evaluate(labels)) return false;
                }
                return true;
            }
            for (int i = 0; i < ops.Length; i++)
            {
                if (ops[i].Evaluate(labels)) return true;
            }
            return false;
        }

        internal override void AppendCanonical(StringBuilder sb)
        {
            sb.Append('(');
            for (int i = 0; i < _operands.Length; i++)
            {
                if (i > 0) sb.Append(IsAnd ? " && " : " || ");
                _operands[i].AppendCanonical(sb);
            }
            sb.Append(')');
        }

        internal override SelectorNode WithPrefix(string prefix, string allKey)
        {
            var ops = new SelectorNode[_operands.Length];
            for (int i = 0; i < ops.Length; i++) ops[i] = _operands[i].WithPrefix(prefix, allKey);
            return new JunctionNode(IsAnd, ops);
        }
    }
}
