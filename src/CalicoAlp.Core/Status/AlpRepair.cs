using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Changes;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Injector;
using CalicoAlp.Core.Namespaces;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Status
{
    /// <summary>One thing Repair-AlpSetup does on a cluster: a repair kind and, for the namespace repairs, the namespaces.</summary>
    public sealed record RepairStep(AlpRepairKind Kind, IReadOnlyList<string> Namespaces)
    {
        public override string ToString() => Kind switch
        {
            AlpRepairKind.FelixPolicySync => "set Felix's policySyncPathPrefix",
            AlpRepairKind.InjectorPatch => "make the injector inject Dikastes",
            AlpRepairKind.NamespaceWorkloads => $"recreate the workloads of {string.Join(", ", Namespaces)}",
            AlpRepairKind.PilotEgress => $"allow egress to istio-pilot/istiod in {string.Join(", ", Namespaces)}",
            AlpRepairKind.AuthorizationService => "apply the authorization service",
            _ => Kind.ToString(),
        };
    }

    /// <summary>What Repair-AlpSetup made before it stopped (or all of it), and the error that stopped it.</summary>
    public sealed record RepairOutcome(IReadOnlyList<object> Results, AlpException? Error);

    /// <summary>
    /// Runs the fixes of failed Get-AlpStatus checks on one cluster, each through the same core workflow (and so the
    /// same change flow) as the cmdlet that fix command names. The order is the safe one, whatever order the checks
    /// came in: Felix's policy sync, the injector, the namespaces' workloads (recreated with both sidecars), pilot
    /// egress, and last the mesh-wide ext-authz filter, so that no pod is asked to consult a Dikastes it does not have.
    /// The first failing step stops the run; the error says which step failed and what was already done.
    /// </summary>
    public static class AlpRepair
    {
        public const string StoppedErrorId = "AlpRepairStopped";

        private static readonly AlpRepairKind[] Order =
        {
            AlpRepairKind.FelixPolicySync, AlpRepairKind.InjectorPatch, AlpRepairKind.NamespaceWorkloads, AlpRepairKind.PilotEgress, AlpRepairKind.AuthorizationService,
        };

        /// <summary>The steps for a set of repair kinds and namespaces: one per kind, namespaces merged, in the safe order.</summary>
        public static IReadOnlyList<RepairStep> Plan(IEnumerable<(AlpRepairKind Kind, IEnumerable<string> Namespaces)> wanted)
        {
            var byKind = new Dictionary<AlpRepairKind, SortedSet<string>>();
            foreach (var (kind, namespaces) in wanted)
            {
                if (kind == AlpRepairKind.None) continue;
                if (!byKind.TryGetValue(kind, out var set)) byKind[kind] = set = new SortedSet<string>(StringComparer.Ordinal);
                set.UnionWith(namespaces);
            }
            return Order.Where(byKind.ContainsKey)
                .Where(k => k is not (AlpRepairKind.NamespaceWorkloads or AlpRepairKind.PilotEgress) || byKind[k].Count > 0)
                .Select(k => new RepairStep(k, byKind[k].ToList()))
                .ToList();
        }

        /// <summary>Parses a repair kind as a result or a CSV row carries it (case-insensitive); None when empty or unknown.</summary>
        public static AlpRepairKind ParseKind(string? text) =>
            Enum.TryParse<AlpRepairKind>(text, true, out var kind) && Enum.IsDefined(kind) ? kind : AlpRepairKind.None;

        /// <param name="revision">The Istio revision the checks were made for (null or "default": the default one).</param>
        /// <param name="force">As Enable-CalicoAppLayerPolicy's -Force: apply the authorization service although a prerequisite fails.</param>
        public static async Task<RepairOutcome> RunAsync(ChangeRunner runner, IReadOnlyList<RepairStep> steps, string? revision, bool force, CancellationToken ct)
        {
            var api = runner.Api;
            var results = new List<object>();
            var done = new List<string>();
            var rev = string.IsNullOrEmpty(revision) || revision == IstioControlPlane.DefaultRevision ? null : revision;
            for (var i = 0; i < steps.Count; i++)
            {
                var step = steps[i];
                ct.ThrowIfCancellationRequested();
                api.Log.Progress("Repairing application layer policy", $"Step {i + 1} of {steps.Count} on '{api.ContextName}': {step}", 100 * i / Math.Max(1, steps.Count));
                try
                {
                    results.AddRange(await RunStepAsync(runner, step, rev, force, ct).ConfigureAwait(false));
                    done.Add(step.ToString());
                }
                catch (AlpException ex)
                {
                    var error = new AlpException(StoppedErrorId, ex.Kind,
                        $"Repair stopped on context '{api.ContextName}' at step {i + 1} of {steps.Count} ({step}): {ex.Message} " +
                        (done.Count == 0 ? "Nothing was repaired before it." : $"Already done: {string.Join("; ", done)}.") +
                        (i + 1 < steps.Count ? $" Not attempted: {string.Join("; ", steps.Skip(i + 1))}." : ""), ex.Target ?? api.ContextName, ex)
                    { RecommendedAction = ex.RecommendedAction ?? "Fix the cause, then run Get-AlpStatus and Repair-AlpSetup again: the steps already done are idempotent." };
                    return new RepairOutcome(results, error);
                }
            }
            return new RepairOutcome(results, null);
        }

        private static async Task<IEnumerable<object>> RunStepAsync(ChangeRunner runner, RepairStep step, string? revision, bool force, CancellationToken ct)
        {
            var api = runner.Api;
            switch (step.Kind)
            {
                case AlpRepairKind.FelixPolicySync:
                {
                    var type = await PrerequisiteChecker.FelixConfigurationTypeAsync(api, ct).ConfigureAwait(false);
                    var outcomes = await runner.RunAsync(new ResourceIntent<System.Text.Json.Nodes.JsonObject>[] { FelixPolicySyncIntent.Enable(AlpConstants.DefaultPolicySyncPathPrefix, type) }, ct).ConfigureAwait(false);
                    return outcomes.Where(o => o.Reported).Select(o => (object)o.ToResourceChange(api));
                }
                case AlpRepairKind.InjectorPatch:
                {
                    var result = await InjectorLive.ChangeAsync(runner, InjectorLiveMode.Set, null, null, null, false, ct, AlpConstants.IstioNamespace, revision).ConfigureAwait(false);
                    return result == null ? Array.Empty<object>() : new object[] { result };
                }
                case AlpRepairKind.NamespaceWorkloads:
                case AlpRepairKind.PilotEgress:
                {
                    var pilot = step.Kind == AlpRepairKind.PilotEgress;
                    var request = new NamespaceOnboardingRequest(true, step.Namespaces, false, null, Restart: !pilot, Force: false, AllowIstioPilot: pilot, revision);
                    return (await NamespaceOnboarding.RunAsync(runner, request, ct).ConfigureAwait(false)).Cast<object>();
                }
                case AlpRepairKind.AuthorizationService:
                {
                    var report = await PrerequisiteChecker.CheckAsync(api, revision, ct).ConfigureAwait(false);
                    if (!report.Ready && !force)
                    {
                        throw new AlpException("AlpPrerequisiteFailed", AlpErrorKind.NotInstalled,
                            $"The authorization service is not applied: {string.Join(" ", report.Problems)}", api.ContextName)
                        { RecommendedAction = "Fix the prerequisites (Get-AlpStatus lists them), or pass -Force as to Enable-CalicoAppLayerPolicy." };
                    }
                    var intents = AppLayerPolicySetup.EnableIntents(AlpConstants.DefaultPolicySyncPathPrefix, false,
                        report.Generation?.EnvoyFilter ?? Generations.EnvoyFilterForm.EnvoyV3, report.FelixConfigurationType).Skip(1).ToList();
                    var outcomes = await runner.RunAsync(intents, ct).ConfigureAwait(false);
                    return outcomes.Where(o => o.Reported).Select(o => (object)o.ToResourceChange(api));
                }
                default:
                    return Array.Empty<object>();
            }
        }
    }
}
