using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>A peer identity resolved from a principal (spec section 2).</summary>
    internal sealed class Peer
    {
        public static readonly Peer Plaintext = new() { Name = "", Namespace = "" };
        public static readonly Peer Malformed = new() { Nil = true, Name = "", Namespace = "" };

        /// <summary>Malformed principal: v3.30+ makes every SA and namespace check pass.</summary>
        public bool Nil;
        public required string Name;
        public required string Namespace;
        public IReadOnlyDictionary<string, string> ServiceAccountLabels = EmptyLabels.Instance;
        public IReadOnlyDictionary<string, string> NamespaceLabels = EmptyLabels.Instance;
        /// <summary>Rule-index candidate lists of this identity's service-account name, filled on first use (see <see cref="RuleIndex"/>).</summary>
        internal readonly int[]?[] IndexLists = new int[]?[RuleIndex.PeerSlots];
    }
}
