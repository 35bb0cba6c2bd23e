using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Threading;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>One sorted candidate list being merged: positions List[Next..End).</summary>
    internal struct CandidateCursor
    {
        public int[] List;
        public int Next;
        public int End;
        public NetsProven Proven;
    }
}
