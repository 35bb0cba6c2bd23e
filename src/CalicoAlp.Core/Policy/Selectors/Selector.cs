using System.Collections.Generic;
using System.Collections.Concurrent;

namespace CalicoAlp.Core.Policy.Selectors
{
    /// <summary>A parsed, immutable Calico selector. <see cref="ToString"/> gives the canonical form.</summary>
    public sealed class Selector
    {
        private static readonly ConcurrentDictionary<string, Selector> Cache = new(System.StringComparer.Ordinal);

        public static readonly Selector All = new(string.Empty, AllNode.Instance);

        internal Selector(string text, SelectorNode root)
        {
            Text = text;
            Root = root;
            Canonical = root.ToString();
        }

        /// <summary>The selector as written.</summary>
        public string Text { get; }

        public SelectorNode Root { get; }

        /// <summary>Canonical form (sets sorted and de-duplicated, junctions parenthesised).</summary>
        public string Canonical { get; }

        /// <summary>True when this selector is <c>all()</c> (also the meaning of an empty selector).</summary>
        public bool IsAll => ReferenceEquals(Root, AllNode.Instance);

        /// <summary>Parses a selector; throws <see cref="Diagnostics.AlpException"/> (ErrorId InvalidSelector) on bad syntax.</summary>
        public static Selector Parse(string text)
        {
            if (Cache.TryGetValue(text, out var cached)) return cached;
            var parsed = new Selector(text, SelectorParser.ParseNode(text));
            if (Cache.Count < 10000) Cache.TryAdd(text, parsed);
            return parsed;
        }

        public static bool TryParse(string text, out Selector? selector)
        {
            try
            {
                selector = Parse(text);
                return true;
            }
            catch (Diagnostics.AlpException)
            {
                selector = null;
                return false;
            }
        }

        public bool Matches(IReadOnlyDictionary<string, string> labels) => Root.Evaluate(labels);

        /// <summary>Felix's rewrite for namespace/service-account selectors: keys get <paramref name="prefix"/>,
        /// <c>all()</c> becomes <c>has(allKey)</c>, <c>global()</c> becomes <c>!has(allKey)</c>.</summary>
        public Selector WithPrefix(string prefix, string allKey) => new(Text, Root.WithPrefix(prefix, allKey));

        public override string ToString() => Canonical;
    }
}
