using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Changes;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Namespaces
{
    /// <summary>
    /// Add-AlpNamespace and Remove-AlpNamespace on one cluster. Reads first: one LIST of namespaces, the label plans,
    /// one LIST of pods per namespace (or one cluster-wide), the workloads per namespace, the restart plans (-Restart),
    /// and (Add) whether Envoy can reach istio-pilot, with the allow-istio-pilot plans (-AllowIstioPilot). Then every
    /// write (labels, pilot policies, restarts, in that order) goes through one <see cref="ChangeRunner"/> run, so all of
    /// them are confirmed and validated by the API server before the first is made. One result per namespace, built once.
    /// </summary>
    public static class NamespaceOnboarding
    {
        public static async Task<IReadOnlyList<AlpNamespaceResult>> RunAsync(ChangeRunner runner, NamespaceOnboardingRequest request, CancellationToken ct)
        {
            var api = runner.Api;
            var log = api.Log;
            var verb = request.Enable ? "Adding namespaces to ALP" : "Removing namespaces from ALP";
            log.Progress(verb, $"Listing namespaces on '{api.ContextName}'", 0);
            var resolution = await NamespaceResolver.ResolveAsync(api, request.Names.Distinct(StringComparer.Ordinal).ToList(), request.All, request.Selector, ct).ConfigureAwait(false);
            foreach (var missing in resolution.Unmatched)
            {
                runner.Gate.ReportError(new AlpException("NamespaceNotFound", AlpErrorKind.ObjectNotFound, $"No namespace matches '{missing}' on context '{api.ContextName}'.", missing));
            }
            var targets = new List<(string Name, JsonObject Obj)>();
            foreach (var ns in resolution.Namespaces)
            {
                var nsName = JsonFields.GetString(ns, "metadata", "name") ?? "";
                if (NamespaceResolver.Protected.Contains(nsName) && !request.Force)
                {
                    runner.Gate.ReportError(new AlpException("ProtectedNamespace", AlpErrorKind.PermissionDenied,
                        $"'{nsName}' is a platform namespace (Kubernetes, Istio or Calico); use -Force to change it anyway.", nsName));
                    continue;
                }
                targets.Add((nsName, ns));
            }
            if (targets.Count == 0) return Array.Empty<AlpNamespaceResult>();

            if (request.Enable && await InjectorInspector.InjectsDikastesAsync(api, ct).ConfigureAwait(false) == false)
            {
                log.Warning("The Istio sidecar injector does not inject Dikastes yet: recreated pods get Envoy without Dikastes. Run Set-IstioInjectorPatch first.");
            }

            // 1. Label plans (the namespaces as listed: no extra GET).
            var labels = new Dictionary<string, ResourcePlan<JsonObject>>(StringComparer.Ordinal);
            for (var i = 0; i < targets.Count; i++)
            {
                var (nsName, obj) = targets[i];
                log.Progress(verb, $"Namespace {nsName} ({i + 1}/{targets.Count})", 10 + 30 * i / targets.Count);
                labels[nsName] = await new NamespaceInjectionIntent(nsName, request.Enable, request.Force, obj).PlanAsync(api, ct).ConfigureAwait(false);
            }

            // 2. Pods, grouped by workload.
            log.Progress(verb, "Listing pods", 45);
            var pods = await PodLister.ListAsync(api, targets.Select(t => t.Name).ToList(), ct).ConfigureAwait(false);
            Func<JsonObject, SidecarGap?> gapOf = request.Enable ? WorkloadInventory.MissingSidecar : WorkloadInventory.StillInjected;
            // The owners of ReplicaSet pods are read from the ReplicaSets, listed only where such pods have a gap.
            var replicaSets = await PodLister.ListAsync(api, ResourceType.ReplicaSet,
                targets.Select(t => t.Name).Where(n => WorkloadInventory.NeedsReplicaSets(pods[n], gapOf)).ToList(), ct).ConfigureAwait(false);
            var workloads = targets.ToDictionary(t => t.Name,
                t => WorkloadInventory.Analyze(t.Name, pods[t.Name], replicaSets.GetValueOrDefault(t.Name) ?? new(), gapOf), StringComparer.Ordinal);

            // 3. Restart plans.
            var restarts = new List<(WorkloadGap Workload, ResourcePlan<JsonObject> Plan)>();
            if (request.Restart)
            {
                var now = DateTimeOffset.UtcNow;
                foreach (var (nsName, _) in targets)
                {
                    if (labels[nsName].Action == ChangeAction.Skipped)
                    {
                        log.Warning($"Namespace {nsName}: no restart, because its label was left as it is (see above); recreated pods would not change.");
                        continue;
                    }
                    foreach (var w in workloads[nsName])
                    {
                        if (!w.Restartable && !(w.Kind == "Pod" && request.Force))
                        {
                            log.Warning(w.Kind == "Pod"
                                ? $"Bare pod {w.Namespace}/{w.Name} not deleted: nothing would recreate it. Use -Force to delete it anyway."
                                : $"{w.Kind} {w.Namespace}/{w.Name}: {w.Note}.");
                            continue;
                        }
                        restarts.Add((w, await new WorkloadRestartIntent(w, now).PlanAsync(api, ct).ConfigureAwait(false)));
                    }
                }
            }

            // 4. (Add) Envoy's egress to istio-pilot, and the allow-istio-pilot plans.
            log.Progress(verb, "Checking Envoy's egress to istio-pilot", 60);
            var pilot = request.Enable ? await PilotVerdictsAsync(api, targets.Select(t => t.Name).ToList(), pods, ct).ConfigureAwait(false) : null;
            var pilotPlans = new Dictionary<string, ResourcePlan<JsonObject>>(StringComparer.Ordinal);
            if (pilot != null)
            {
                foreach (var (nsName, verdict) in pilot.Verdicts)
                {
                    if (verdict == "Allowed" || !pilot.Checked) continue;
                    if (!request.AllowIstioPilot)
                    {
                        log.Warning($"Namespace {nsName}: Envoy cannot reach istio-pilot: {verdict}. Every sidecar there will fail; use -AllowIstioPilot to add Calico's allow-istio-pilot policy.");
                        continue;
                    }
                    var intent = OwnedObjectIntent.Present(ResourceType.CalicoNetworkPolicy, PilotEgressCheck.AllowIstioPilotPolicy(nsName));
                    pilotPlans[nsName] = await intent.PlanAsync(api, ct).ConfigureAwait(false);
                }
            }

            // 5. Every write through one run: labels, then pilot policies (before pods are recreated), then restarts.
            log.Progress(verb, "Applying", 70);
            var plans = new List<ResourcePlan<JsonObject>>();
            plans.AddRange(targets.Select(t => labels[t.Name]));
            plans.AddRange(pilotPlans.Values);
            plans.AddRange(restarts.Select(r => r.Plan));
            var outcomes = await runner.ApplyAsync(plans, ct).ConfigureAwait(false);
            var labelOutcomes = new Dictionary<string, ChangeOutcome<JsonObject>>(StringComparer.Ordinal);
            for (var i = 0; i < targets.Count; i++) labelOutcomes[targets[i].Name] = outcomes[i];
            var pilotOutcomes = pilotPlans.Keys.Select((ns, i) => (ns, outcomes[targets.Count + i])).ToDictionary(x => x.ns, x => x.Item2, StringComparer.Ordinal);
            var restarted = new HashSet<WorkloadGap>(restarts.Where((r, i) => outcomes[targets.Count + pilotPlans.Count + i].Done).Select(r => r.Workload));

            // 6. With new policies in place, check again.
            if (pilot != null && pilotOutcomes.Values.Any(o => o.Status == ChangeStatus.Applied))
            {
                var recheck = await PilotVerdictsAsync(api, pilotOutcomes.Keys.ToList(), pods, ct).ConfigureAwait(false);
                foreach (var (ns, verdict) in recheck.Verdicts) pilot.Verdicts[ns] = verdict;
            }

            // 7. One result per namespace.
            var results = new List<AlpNamespaceResult>();
            foreach (var (nsName, _) in targets)
            {
                var label = labelOutcomes[nsName];
                var messages = new List<string>();
                if (label.Status == ChangeStatus.Declined) messages.Add("Label not changed (declined).");
                else if (label.Status == ChangeStatus.Refused) messages.Add("Label change refused by the API server (see the error).");
                else if (label.Plan.Message != null) messages.Add(label.Plan.Message);
                if (pilotOutcomes.TryGetValue(nsName, out var policy) && policy.Done)
                {
                    messages.Add(runner.Preview ? "allow-istio-pilot would be created." : "allow-istio-pilot created.");
                }
                var result = new AlpNamespaceResult
                {
                    Context = api.ContextName,
                    Kubeconfig = api.Kubeconfig,
                    Namespace = nsName,
                    LabelAction = label.Reported ? label.Plan.Action : ChangeAction.Unchanged,
                    LabelChanges = label.Reported ? label.Plan.Changes : Array.Empty<FieldChange>(),
                    Workloads = workloads[nsName].Select(w => restarted.Contains(w) ? w.AsRestarted() : w).ToList(),
                    PilotEgress = pilot?.Verdicts.GetValueOrDefault(nsName) ?? "NotChecked",
                    Message = messages.Count == 0 ? null : string.Join(" ", messages),
                    WhatIf = runner.Preview,
                };
                if (!request.Restart && result.PodsNeedingRestart > 0)
                {
                    log.Warning($"Namespace {nsName}: {result.PodsNeedingRestart} pod(s) run {(request.Enable ? "without Envoy and Dikastes" : "with sidecars")} until recreated: {result.WorkloadSummary}. Use -Restart.");
                }
                results.Add(result);
            }
            log.Progress(verb, "Done", 100);
            return results;
        }

        /// <summary>Pilot verdicts per namespace; Checked false when the check could not run (the verdict then says why).</summary>
        private sealed record PilotVerdicts(bool Checked, Dictionary<string, string> Verdicts);

        private static async Task<PilotVerdicts> PilotVerdictsAsync(KubeApi api, IReadOnlyList<string> namespaces, Dictionary<string, List<JsonObject>> pods, CancellationToken ct)
        {
            PilotVerdicts All(string verdict) => new(false, namespaces.ToDictionary(n => n, _ => verdict, StringComparer.Ordinal));
            PilotEgressCheck? check;
            try
            {
                if (!await api.ServesAsync(ResourceType.CalicoCrdGroup, "v1", ct).ConfigureAwait(false)) return All("NotChecked (Calico CRDs not found)");
                check = await PilotEgressCheck.CreateAsync(api, api.Log, ct).ConfigureAwait(false);
            }
            catch (AlpException ex)
            {
                api.Log.Warning($"Envoy's egress to istio-pilot was not checked: {ex.Message}");
                return All($"NotChecked ({ex.ErrorId})");
            }
            if (check == null) return All("NotChecked (no istio-pilot or istiod)");
            return new PilotVerdicts(true, namespaces.ToDictionary(n => n, n => check.Check(n, pods[n]), StringComparer.Ordinal));
        }
    }
}
