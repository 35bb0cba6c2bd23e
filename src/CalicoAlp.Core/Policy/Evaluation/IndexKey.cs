using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Threading;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>The criterion under which a rule is filed in a <see cref="RuleIndex"/> (its most selective indexed criterion).</summary>
    internal enum IndexKey : byte
    {
        /// <summary>No indexed criterion: the rule is a candidate for every request.</summary>
        None,
        SourceNames,
        DestinationNames,
        SourceNets,
        DestinationNets,
        SourceSet,
        DestinationSet,
        Path,
        Method,
        DestinationPorts,
        SourcePorts,
    }
}
