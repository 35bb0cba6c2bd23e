using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// Shared flow of the cmdlets that converge a set of resources: plan every intent (reads only), ask ShouldProcess
    /// per change, validate every confirmed write with a server-side dry run (so RBAC or admission refusals surface
    /// before anything is written and nothing is left half-changed), then write, re-planning on 409.
    /// </summary>
    public abstract class ResourceChangeCmdlet : KubeCmdlet
    {
        /// <summary>True where -Force means "do not prompt" (High-impact cmdlets in runbooks); -WhatIf and an explicit -Confirm still win.</summary>
        protected virtual bool SkipConfirmation => false;

        private bool ShouldWrite(string target, string action)
        {
            if (SkipConfirmation && !IsWhatIf && !MyInvocation.BoundParameters.ContainsKey("Confirm"))
            {
                WriteVerbose($"Performing the operation \"{action}\" on target \"{target}\" (-Force: not prompted).");
                return true;
            }
            return ShouldProcess(target, action);
        }

        protected IReadOnlyList<ResourceChange> Converge(KubeApi api, IReadOnlyList<ResourceIntent> intents)
        {
            var plans = new List<ResourcePlan>();
            foreach (var intent in intents)
            {
                plans.Add(Run(ct => intent.PlanAsync(api, ct)));
            }

            var confirmed = new List<ResourcePlan>();
            var results = new List<ResourceChange>();
            foreach (var plan in plans)
            {
                if (!plan.IsWrite)
                {
                    if (plan.Message != null && plan.Action == ChangeAction.Skipped) WriteWarning($"{plan.Intent.Display}: {plan.Message}");
                    results.Add(IntentExecutor.ToResult(api, plan, plan.Current));
                    continue;
                }
                var target = $"{plan.Intent.Display} (context '{api.ContextName}')";
                if (ShouldWrite(target, plan.Describe()))
                {
                    confirmed.Add(plan);
                }
                else if (IsWhatIf)
                {
                    // -WhatIf: let the API server check the write (RBAC, admission, schema) without persisting it.
                    try
                    {
                        Run(ct => IntentExecutor.ApplyAsync(api, plan, dryRun: true, ct));
                        WriteVerbose($"Server-side dry run of '{plan.Describe()}' on {target}: accepted.");
                    }
                    catch (AlpException ex)
                    {
                        WriteError(ToErrorRecord(ex));
                    }
                }
            }
            if (IsWhatIf) return new List<ResourceChange>();

            foreach (var plan in confirmed)
            {
                try
                {
                    Run(ct => IntentExecutor.ApplyAsync(api, plan, dryRun: true, ct));
                }
                catch (AlpException ex)
                {
                    WriteVerbose($"Server-side dry run refused {plan.Intent.Display}; nothing was written.");
                    Terminate(ex);
                }
            }

            var written = new List<string>();
            foreach (var plan in confirmed)
            {
                try
                {
                    results.Add(Run(ct => IntentExecutor.ApplyAsync(api, plan, dryRun: false, ct)));
                    written.Add(plan.Intent.Display);
                }
                catch (AlpException ex) when (written.Count > 0)
                {
                    throw new AlpException(ex.ErrorId, ex.Kind,
                        $"{ex.Message} Already applied: {string.Join(", ", written)}. Run the command again (it only writes what is still missing) or undo with the matching Disable/Remove cmdlet.",
                        ex.Target, ex) { RecommendedAction = ex.RecommendedAction };
                }
            }
            // Results in the order of the intents.
            return intents.Select(i => results.FirstOrDefault(r => r.Kind == i.Type.Kind && r.Name == i.Name && r.Namespace == i.Namespace))
                .Where(r => r != null).Select(r => r!).ToList();
        }
    }
}
