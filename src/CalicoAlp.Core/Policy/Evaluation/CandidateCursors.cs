using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Threading;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>The lists merged for one evaluation, on the stack.</summary>
    [System.Runtime.CompilerServices.InlineArray(Capacity)]
    internal struct CandidateCursors
    {
        public const int Capacity = 16;
        private CandidateCursor _element;
    }
}
