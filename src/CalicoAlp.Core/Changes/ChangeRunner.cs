using System;
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
    /// Plans given in stages (<see cref="ApplyInStagesAsync{TPayload}"/>) are independent within a stage: their dry runs
    /// and writes go up to <see cref="MaxParallelism"/> at a time (confirmations stay one by one, outcomes in plan order).
    /// </summary>
    public sealed class ChangeRunner
    {
        public const int MaxConflictRetries = 5;
        /// <summary>The default of <see cref="MaxParallelism"/>: enough to hide one API round trip, few enough not to swamp the API server.</summary>
        public const int DefaultMaxParallelism = 8;
        private readonly IChangeGate _gate;

        public ChangeRunner(KubeApi api, IChangeGate gate)
        {
            Api = api;
            _gate = gate;
        }

        public KubeApi Api { get; }
        public IChangeGate Gate => _gate;
        /// <summary>How many dry runs or writes of one stage (<see cref="ApplyInStagesAsync{TPayload}"/>) are in flight at once (at least 1).</summary>
        public int MaxParallelism { get => _maxParallelism; init => _maxParallelism = Math.Max(1, value); }
        private readonly int _maxParallelism = DefaultMaxParallelism;
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

        /// <summary>Confirms, validates and writes plans made beforehand (all reads done), one after the other. Outcomes are in the order of the plans.</summary>
        public Task<IReadOnlyList<ChangeOutcome<TPayload>>> ApplyAsync<TPayload>(IReadOnlyList<ResourcePlan<TPayload>> plans, CancellationToken ct) =>
            ApplyInStagesAsync(plans.Select(p => (IReadOnlyList<ResourcePlan<TPayload>>)new[] { p }).ToList(), ct);

        /// <summary>
        /// Confirms, validates and writes plans made beforehand, stage after stage. The plans of one stage are independent
        /// of each other (e.g. the labels of many namespaces): their dry runs and their writes are sent up to
        /// <see cref="MaxParallelism"/> at a time; a stage's writes all end before the next stage's start. Confirmations
        /// are still asked one by one, in plan order, before any dry run. Outcomes are in the order of the plans (stages
        /// flattened). On a failure no further dry run or write is started; the writes already in flight end, and the
        /// error names every write that was applied.
        /// </summary>
        public async Task<IReadOnlyList<ChangeOutcome<TPayload>>> ApplyInStagesAsync<TPayload>(IReadOnlyList<IReadOnlyList<ResourcePlan<TPayload>>> stages, CancellationToken ct)
        {
            var preview = Preview;
            var plans = stages.SelectMany(s => s).ToList();
            var outcomes = new ChangeOutcome<TPayload>[plans.Count];
            var latest = plans.ToArray();
            var confirmed = new bool[plans.Count];

            // 1. Confirm every write, one by one in plan order (under -WhatIf the gate describes it and says no).
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
                    confirmed[i] = true;
                }
                else
                {
                    outcomes[i] = new ChangeOutcome<TPayload>(plan, ChangeStatus.Declined, null, preview);
                }
            }
            var stageIndexes = new List<List<int>>();
            var offset = 0;
            foreach (var stage in stages)
            {
                stageIndexes.Add(Enumerable.Range(offset, stage.Count).Where(i => confirmed[i]).ToList());
                offset += stage.Count;
            }

            // 2. Server-side dry run of every confirmed write, before any real write.
            foreach (var indexes in stageIndexes)
            {
                var refusals = new AlpException?[plans.Count];
                var failures = await RunBoundedAsync(indexes, async i =>
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
                        refusals[i] = ex;
                        outcomes[i] = new ChangeOutcome<TPayload>(latest[i], ChangeStatus.Refused, null, preview);
                    }
                }).ConfigureAwait(false);
                // Refusals under -WhatIf are reported in plan order, whatever order the dry runs ended in.
                foreach (var i in indexes) if (refusals[i] is { } refusal) _gate.ReportError(refusal);
                if (failures.Count > 0)
                {
                    var (index, error) = First(failures);
                    if (error is AlpException) Api.Log.Verbose($"Server-side dry run refused {latest[index].Intent.Display}; nothing was written.");
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
                }
            }
            if (preview) return outcomes;

            // 3. The writes, stage after stage.
            var written = new bool[plans.Count];
            foreach (var indexes in stageIndexes)
            {
                var failures = await RunBoundedAsync(indexes, async i =>
                {
                    var (plan, stored) = await WriteAsync(latest[i], dryRun: false, ct).ConfigureAwait(false);
                    outcomes[i] = new ChangeOutcome<TPayload>(plan, plan.IsWrite ? ChangeStatus.Applied : ChangeStatus.NotNeeded, stored, preview);
                    if (plan.IsWrite) written[i] = true;
                }).ConfigureAwait(false);
                if (failures.Count == 0) continue;
                var (_, error) = First(failures);
                var applied = Enumerable.Range(0, plans.Count).Where(i => written[i]).Select(i => latest[i].Intent.Display).ToList();
                if (error is AlpException ex && applied.Count > 0)
                {
                    var others = failures.Count(f => f.Error is AlpException) - 1;
                    throw new AlpException(ex.ErrorId, ex.Kind,
                        $"{ex.Message}{(others > 0 ? $" ({others} other write(s) failed too.)" : "")} Already applied: {string.Join(", ", applied)}. Run the command again (it only writes what is still missing) or undo with the matching Disable/Remove cmdlet.",
                        ex.Target, ex) { RecommendedAction = ex.RecommendedAction };
                }
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
            }
            return outcomes;
        }

        /// <summary>
        /// Runs <paramref name="work"/> for each index, at most <see cref="MaxParallelism"/> at a time (one index: inline).
        /// After the first failure no further work starts; the work in flight ends. Returns the failures, by index.
        /// </summary>
        private async Task<List<(int Index, Exception Error)>> RunBoundedAsync(IReadOnlyList<int> indexes, Func<int, Task> work)
        {
            var failures = new List<(int Index, Exception Error)>();
            if (indexes.Count == 1 || MaxParallelism == 1)
            {
                foreach (var i in indexes)
                {
                    try
                    {
                        await work(i).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        failures.Add((i, ex));
                        break;
                    }
                }
                return failures;
            }
            using var slots = new SemaphoreSlim(MaxParallelism);
            var running = new List<Task>();
            foreach (var i in indexes)
            {
                await slots.WaitAsync().ConfigureAwait(false);
                lock (failures)
                {
                    if (failures.Count > 0)
                    {
                        slots.Release();
                        break;
                    }
                }
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        await work(i).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        lock (failures) failures.Add((i, ex));
                    }
                    finally
                    {
                        slots.Release();
                    }
                }));
            }
            await Task.WhenAll(running).ConfigureAwait(false);
            return failures.OrderBy(f => f.Index).ToList();
        }

        /// <summary>The failure to report: the first (in plan order) that is the API server's answer, else the first (e.g. a cancellation).</summary>
        private static (int Index, Exception Error) First(List<(int Index, Exception Error)> failures) =>
            failures.FirstOrDefault(f => f.Error is AlpException) is { Error: not null } alp ? alp : failures[0];

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
