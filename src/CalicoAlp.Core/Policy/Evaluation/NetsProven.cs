using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Threading;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>Which side's nets the index has already proven to contain the side's address.</summary>
    internal enum NetsProven : byte
    {
        None,
        Source,
        Destination,
    }
}
