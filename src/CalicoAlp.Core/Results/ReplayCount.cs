using CalicoAlp.Core.Policy.Replay;
using System.Collections.Generic;
using System;

namespace CalicoAlp.Core.Results
{
    /// <summary>Allowed / denied counts of one source.</summary>
    public sealed class ReplayCount
    {
        public long Allowed { get; internal set; }
        public long Denied { get; internal set; }
        public override string ToString() => $"{Allowed} allowed, {Denied} denied";
    }
}
