using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Changes
{
    /// <summary>
    /// The one way CalicoAlp changes a cluster: plan every intent (reads only), confirm each write through the
    /// <see cref="IChangeGate"/>, send every confirmed write as a server-side dry run (so an RBAC, admission or schema
    /// refusal stops the run before anything is written), then write each, guarded by the resourceVersion read while
    /// planning; a 409 re-reads, re-plans and writes again (the other writer's changes survive).
    /// Under -WhatIf (<see cref="IChangeGate.Preview"/>) the dry runs are the end: each write is validated by the API
    /// server, a refusal is reported for that item, and the outcomes say what would have been done.
    /// </summary>
    public sealed class ChangeRunner
    {
        public const int MaxConflictRetries = 5;
        private readonly IChangeGate _gate;

        public ChangeRunner(KubeApi api, IChangeGate gate)
        {
            Api = api;
            _gate = gate;
        }

        public KubeApi Api { get; }
        public IChangeGate Gate => _gate;
        /// <summary>True under -WhatIf.</summary>
        public bool Preview => _gate.Preview;

        /// <summary>
        /// Plans every intent, then <see cref="ApplyAsync{TPayload}"/>. The plans of several objects are read one after
        /// the other, so another writer (a concurrent Disable) can change an object between its read and our last write:
        /// after writing, every intent is planned again (reads only) and, when an object is no longer as we read or wrote
        /// it and its fresh plan is a write, that round is applied too (up to <see cref="MaxConflictRetries"/> rounds).
        /// The run ends when a check finds every object as we left it, or needing nothing: the outcome never reports
        /// success on a set of objects read from a snapshot another writer had already changed.
        /// Outcomes are in the order of the intents (a later round's write replaces the earlier outcome).
        /// </summary>
        public async Task<IReadOnlyList<ChangeOutcome<TPayload>>> RunAsync<TPayload>(IReadOnlyList<ResourceIntent<TPayload>> intents, CancellationToken ct)
        {
            var plans = await PlanAllAsync(intents, ct).ConfigureAwait(false);
            var outcomes = (await ApplyAsync(plans, ct).ConfigureAwait(false)).ToArray();
            if (Preview) return outcomes;
            var expected = outcomes.Select(ExpectedVersion).ToArray();
            var wrote = outcomes.Any(o => o.Status == ChangeStatus.Applied);
            for (var round = 1; wrote; round++)
            {
                var fresh = await PlanAllAsync(intents, ct).ConfigureAwait(false);
                var moved = Enumerable.Range(0, intents.Count)
                    .Where(i => !string.Equals(expected[i], VersionOf(fresh[i].Current), System.StringComparison.Ordinal)).ToList();
                var again = moved.Where(i => fresh[i].IsWrite).ToList();
                if (again.Count == 0) break;
                var names = string.Join(", ", again.Select(i => intents[i].Display));
                if (round > MaxConflictRetries)
                {
                    throw new AlpException("ConcurrentModification", AlpErrorKind.ResourceBusy,
                        $"{names} kept being changed by another writer while this command ran ({MaxConflictRetries} rounds); the objects may be in a mixed state. Run the command again when the other writer is done.",
                        intents[again[0]].Display);
                }
                Api.Log.Verbose($"{names}: changed since they were read (another writer); planning again and applying ({round}/{MaxConflictRetries}).");
                var more = await ApplyAsync(again.Select(i => fresh[i]).ToList(), ct).ConfigureAwait(false);
                wrote = false;
                for (var k = 0; k < again.Count; k++)
                {
                    var i = again[k];
                    expected[i] = ExpectedVersion(more[k]);
                    if (more[k].Status != ChangeStatus.Applied) continue; // declined now: the earlier outcome stays the report
                    outcomes[i] = more[k];
                    wrote = true;
                }
                foreach (var i in moved.Except(again)) expected[i] = VersionOf(fresh[i].Current);
            }
            return outcomes;
        }

        private async Task<List<ResourcePlan<TPayload>>> PlanAllAsync<TPayload>(IReadOnlyList<ResourceIntent<TPayload>> intents, CancellationToken ct)
        {
            var plans = new List<ResourcePlan<TPayload>>(intents.Count);
            foreach (var intent in intents)
            {
                plans.Add(await intent.PlanAsync(Api, ct).ConfigureAwait(false));
            }
            return plans;
        }

        /// <summary>The resourceVersion the object should still have: as written (null after a delete), else as read while planning.</summary>
        private static string? ExpectedVersion<TPayload>(ChangeOutcome<TPayload> outcome) =>
            VersionOf(outcome.Status == ChangeStatus.Applied ? outcome.Stored : outcome.Plan.Current);

        private static string? VersionOf(System.Text.Json.Nodes.JsonObject? obj) => Json.JsonFields.GetString(obj, "metadata", "resourceVersion");

        /// <summary>Confirms, validates and writes plans made beforehand (all reads done). Outcomes are in the order of the plans.</summary>
        public async Task<IReadOnlyList<ChangeOutcome<TPayload>>> ApplyAsync<TPayload>(IReadOnlyList<ResourcePlan<TPayload>> plans, CancellationToken ct)
        {
            var preview = Preview;
            var outcomes = new ChangeOutcome<TPayload>[plans.Count];
            var latest = plans.ToArray();
            var confirmed = new List<int>();

            // 1. Confirm every write (under -WhatIf the gate describes it and says no).
            for (var i = 0; i < plans.Count; i++)
            {
                var plan = plans[i];
                if (!plan.IsWrite)
                {
                    if (plan.Action == Results.ChangeAction.Skipped && plan.Message != null) Api.Log.Warning($"{plan.Intent.Display}: {plan.Message}");
                    outcomes[i] = new ChangeOutcome<TPayload>(plan, ChangeStatus.NotNeeded, plan.Current, preview);
                    continue;
                }
                var proposal = new ChangeProposal($"{plan.Intent.Display} (context '{Api.ContextName}')", plan.Describe(), plan.Details);
                if (await _gate.ConfirmAsync(proposal, ct).ConfigureAwait(false) || preview)
                {
                    confirmed.Add(i);
                }
                else
                {
                    outcomes[i] = new ChangeOutcome<TPayload>(plan, ChangeStatus.Declined, null, preview);
                }
            }

            // 2. Server-side dry run of every confirmed write, before any real write.
            foreach (var i in confirmed)
            {
                try
                {
                    var (plan, stored) = await WriteAsync(latest[i], dryRun: true, ct).ConfigureAwait(false);
                    latest[i] = plan;
                    Api.Log.Verbose($"Server-side dry run of '{plan.Describe()}' on {plan.Intent.Display} (context '{Api.ContextName}'): accepted.");
                    if (preview) outcomes[i] = new ChangeOutcome<TPayload>(plan, plan.IsWrite ? ChangeStatus.Previewed : ChangeStatus.NotNeeded, stored, preview);
                }
                catch (AlpException ex) when (preview)
                {
                    _gate.ReportError(ex);
                    outcomes[i] = new ChangeOutcome<TPayload>(latest[i], ChangeStatus.Refused, null, preview);
                }
                catch (AlpException)
                {
                    Api.Log.Verbose($"Server-side dry run refused {latest[i].Intent.Display}; nothing was written.");
                    throw;
                }
            }
            if (preview) return outcomes;

            // 3. The writes, in order.
            var written = new List<string>();
            foreach (var i in confirmed)
            {
                try
                {
                    var (plan, stored) = await WriteAsync(latest[i], dryRun: false, ct).ConfigureAwait(false);
                    outcomes[i] = new ChangeOutcome<TPayload>(plan, plan.IsWrite ? ChangeStatus.Applied : ChangeStatus.NotNeeded, stored, preview);
                    if (plan.IsWrite) written.Add(plan.Intent.Display);
                }
                catch (AlpException ex) when (written.Count > 0)
                {
                    throw new AlpException(ex.ErrorId, ex.Kind,
                        $"{ex.Message} Already applied: {string.Join(", ", written)}. Run the command again (it only writes what is still missing) or undo with the matching Disable/Remove cmdlet.",
                        ex.Target, ex) { RecommendedAction = ex.RecommendedAction };
                }
            }
            return outcomes;
        }

        /// <summary>One write (or dry run); on a 409 the intent re-reads and re-plans, up to <see cref="MaxConflictRetries"/> times.</summary>
        private async Task<(ResourcePlan<TPayload> Plan, System.Text.Json.Nodes.JsonObject? Stored)> WriteAsync<TPayload>(ResourcePlan<TPayload> plan, bool dryRun, CancellationToken ct)
        {
            var intent = plan.Intent;
            for (var attempt = 0; ; attempt++)
            {
                if (!plan.IsWrite) return (plan, plan.Current);
                try
                {
                    return (plan, await intent.WriteAsync(Api, plan, dryRun, ct).ConfigureAwait(false));
                }
                catch (KubeConflictException ex) when (attempt < MaxConflictRetries)
                {
                    Api.Log.Verbose($"{intent.Display}: {ex.Message} Re-reading and applying again ({attempt + 1}/{MaxConflictRetries}).");
                    plan = await intent.PlanAsync(Api, ct).ConfigureAwait(false);
                }
                catch (KubeConflictException ex)
                {
                    throw new AlpException("ConcurrentModification", AlpErrorKind.ResourceBusy,
                        $"{intent.Display} kept changing under us ({MaxConflictRetries + 1} attempts); nothing was overwritten. {ex.Message}", ex.Target, ex);
                }
            }
        }
    }
}
