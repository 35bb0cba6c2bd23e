using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>
    /// Cheap pre-checks of one rule, kept in a contiguous array beside the rules so that a walk over thousands of rules reads
    /// sequential memory instead of chasing rule, entity and net-set objects. Each check that fails proves that the full match
    /// (MatchRule) would return NoMatch: side criteria are checked before HTTP, and a method mismatch before paths, so a failed
    /// pre-check can never hide an INVALID_ARGUMENT or a match. Rules that pass all pre-checks get the full match.
    /// </summary>
    internal struct RuleFilter
    {
        public int SrcPositiveSet, SrcNegativeSet, DstPositiveSet, DstNegativeSet;
        /// <summary>Numeric port envelope; a port outside it is not in the rule's ports (int.Min/MaxValue = no check).</summary>
        public int SrcPortMin, SrcPortMax, DstPortMin, DstPortMax;
        /// <summary>IPv4 envelope of nets (min &gt; max: no IPv4 range at all).</summary>
        public uint SrcNetMin, SrcNetMax, DstNetMin, DstNetMax;
        /// <summary>0 = no nets; 1 = nets (no IP fails; IPv4 outside the envelope fails); 2 = nets always fail (invalid entry).</summary>
        public byte SrcNets, DstNets;
        /// <summary>The only method the rule accepts (null = no check); a request with another non-null method fails.</summary>
        public string? Method;
    }
}
