using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Changes;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// Base of every cmdlet that changes a cluster: it is the <see cref="IChangeGate"/> of the core's
    /// <see cref="ChangeRunner"/> (ShouldProcess with -Confirm, -WhatIf and, where the cmdlet says so, -Force), so the
    /// plan -> confirm -> server-side dry run -> write flow is the same for all of them. A cmdlet maps its parameters,
    /// calls the core with <see cref="Changes"/>, and writes the results.
    /// </summary>
    public abstract class ResourceChangeCmdlet : KubeCmdlet
    {
        /// <summary>True where -Force means "do not prompt" (High-impact cmdlets in runbooks); -WhatIf and an explicit -Confirm still win.</summary>
        protected virtual bool SkipConfirmation => false;

        /// <summary>The change runner for one cluster, with this cmdlet as its gate.</summary>
        protected ChangeRunner Changes(KubeApi api) => new(api, new Gate(this));

        /// <summary>
        /// The cmdlet as the core's gate. A private type on purpose: a public cmdlet type must not name a core type in
        /// its hierarchy, or PowerShell's scan of the module's exported types fails before the core's load context is set up.
        /// </summary>
        private sealed class Gate : IChangeGate
        {
            private readonly ResourceChangeCmdlet _cmdlet;

            public Gate(ResourceChangeCmdlet cmdlet) => _cmdlet = cmdlet;

            public bool Preview => _cmdlet.IsWhatIf;

            public Task<bool> ConfirmAsync(ChangeProposal proposal, CancellationToken ct) => _cmdlet.Bridge.Ask(_ => _cmdlet.ShouldWrite(proposal), ct);

            public void ReportError(AlpException error) => _cmdlet.Bridge.Post(c => c.WriteError(ToErrorRecord(error)));
        }

        /// <summary>ShouldProcess on the pipeline thread; a proposal with details (a diff) shows them with the question and under -WhatIf.</summary>
        private bool ShouldWrite(ChangeProposal proposal)
        {
            if (SkipConfirmation && !IsWhatIf && !MyInvocation.BoundParameters.ContainsKey("Confirm"))
            {
                WriteVerbose($"Performing the operation \"{proposal.Action}\" on target \"{proposal.Target}\" (-Force: not prompted).");
                return true;
            }
            if (proposal.Details == null) return ShouldProcess(proposal.Target, proposal.Action);
            var description = $"{proposal.Action} {proposal.Target}." + Environment.NewLine + proposal.Details;
            return ShouldProcess(description, $"{proposal.Action} {proposal.Target}?", proposal.Target);
        }
    }
}
