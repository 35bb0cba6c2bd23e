using System.Collections.Generic;
using System.Linq;
using System;

namespace CalicoAlp.Core.Results
{
    /// <summary>What happened (or would happen) to one resource.</summary>
    public enum ChangeAction
    {
        Unchanged,
        Created,
        Updated,
        Deleted,
        /// <summary>Left alone on purpose (e.g. not ours to delete); Message says why.</summary>
        Skipped,
    }
}
