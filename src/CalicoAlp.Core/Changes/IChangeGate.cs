using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;

namespace CalicoAlp.Core.Changes
{
    /// <summary>
    /// Where the <see cref="ChangeRunner"/> asks before it writes. The cmdlet layer implements it with ShouldProcess
    /// (so -Confirm, -WhatIf and -Force behave as PowerShell users expect), the way it implements <see cref="IOperationLog"/>.
    /// Implementations are called from thread-pool threads and must marshal to the pipeline thread themselves.
    /// </summary>
    public interface IChangeGate
    {
        /// <summary>
        /// True under -WhatIf: nothing is written; every planned write is validated by a server-side dry run and reported
        /// in the results as not applied.
        /// </summary>
        bool Preview { get; }

        /// <summary>True to make the change; false when declined (and always under <see cref="Preview"/>).</summary>
        Task<bool> ConfirmAsync(ChangeProposal proposal, CancellationToken ct);

        /// <summary>A problem with one item (e.g. a preview the API server refused, a namespace that does not exist): reported, and the run goes on.</summary>
        void ReportError(AlpException error);
    }
}
