namespace CalicoAlp.Core.Changes
{
    /// <summary>What the <see cref="ChangeRunner"/> did with one plan.</summary>
    public enum ChangeStatus
    {
        /// <summary>Nothing to write (unchanged or skipped on purpose).</summary>
        NotNeeded,
        /// <summary>Written.</summary>
        Applied,
        /// <summary>-WhatIf: validated by a server-side dry run, not written.</summary>
        Previewed,
        /// <summary>Declined at the confirmation prompt.</summary>
        Declined,
        /// <summary>-WhatIf: the API server refused the dry run (reported as an error for the item).</summary>
        Refused,
    }
}
