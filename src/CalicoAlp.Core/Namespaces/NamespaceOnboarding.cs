using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Changes;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Generations;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Namespaces
{
    /// <summary>
    /// Add-AlpNamespace and Remove-AlpNamespace on one cluster. Reads first: one LIST of namespaces, the label plans,
    /// one LIST of pods per namespace (or one cluster-wide, with only <see cref="PodFields"/> kept, read beside the Istio
    /// and policy reads: <see cref="BackgroundReads"/>), the workloads per namespace, the restart plans (-Restart: one
    /// LIST per workload kind), and (Add) whether Envoy can reach istio-pilot, with the allow-istio-pilot plans
    /// (-AllowIstioPilot). Then every
    /// write (labels, pilot policies, restarts, in that order) goes through one <see cref="ChangeRunner"/> run, so all of
    /// them are confirmed and validated by the API server before the first is made; the writes of each of the three
    /// stages are independent and go out in parallel (bounded by <see cref="ChangeRunner.MaxParallelism"/>). The Istio
    /// control planes and revisions are found once (<see cref="IstioRevisions.FindAsync"/>). One result per namespace, built once.
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

            // The pods (often the longest read: thousands of objects, page after page) are listed while the Istio control
            // planes and Calico's policies are read and the labels planned.
            await using var background = new BackgroundReads(ct);
            var podsRead = background.Start(t => PodLister.ListAsync(api, targets.Select(x => x.Name).ToList(), t));

            // The cluster's Istio revisions (one LIST of istio-system Deployments, and for Add one of its ConfigMaps), its
            // generation (its version as PrerequisiteChecker detects it from them) and the revision to label with.
            var istioNotes = new List<string>();
            var istio = await IstioRevisions.FindAsync(api, AlpConstants.IstioNamespace, injectors: request.Enable, istioNotes, ct).ConfigureAwait(false);
            var (istioVersion, istioSource) = await PrerequisiteChecker.DetectIstioVersionAsync(api, istio, istioNotes, ct).ConfigureAwait(false);
            var generation = ComponentVersion.TryParse(istioVersion, out var iv) ? IstioGeneration.For(iv) : null;
            log.Verbose(generation != null ? $"Istio {istioVersion} ({istioSource}): {generation}." : $"Istio version not found ({string.Join(" ", istioNotes)}): no generation-specific steps.");
            var revision = request.Revision;
            if (request.Enable)
            {
                revision = istio.Choose(request.Revision);
            }

            // (Add) Calico's policies for the check of Envoy's egress to istio-pilot, read beside the pods too.
            var pilotRead = request.Enable ? background.Start(t => PilotCheckAsync(api, generation, revision, t)) : null;

            if (request.Enable && await InjectorInspector.InjectsDikastesAsync(api, ct, istio).ConfigureAwait(false) == false)
            {
                log.Warning("The Istio sidecar injector does not inject Dikastes yet: recreated pods get Envoy without Dikastes. Run Set-IstioInjectorPatch first.");
            }

            // 1. Label plans (the namespaces as listed: no extra GET).
            var labels = new Dictionary<string, ResourcePlan<JsonObject>>(StringComparer.Ordinal);
            for (var i = 0; i < targets.Count; i++)
            {
                var (nsName, obj) = targets[i];
                log.Progress(verb, $"Namespace {nsName} ({i + 1}/{targets.Count})", 10 + 30 * i / targets.Count);
                labels[nsName] = await new NamespaceInjectionIntent(nsName, request.Enable, request.Force, obj, revision).PlanAsync(api, ct).ConfigureAwait(false);
            }

            // 2. Pods, grouped by workload.
            log.Progress(verb, "Listing pods", 45);
            var pods = await podsRead.ConfigureAwait(false);
            Func<JsonObject, SidecarGap?> gapOf = request.Enable ? WorkloadInventory.MissingSidecar : WorkloadInventory.StillInjected;
            // The owners of ReplicaSet pods are read from the ReplicaSets, listed only where such pods have a gap.
            var replicaSets = await PodLister.ListAsync(api, ResourceType.ReplicaSet,
                targets.Select(t => t.Name).Where(n => WorkloadInventory.NeedsReplicaSets(pods[n], gapOf)).ToList(), ct).ConfigureAwait(false);
            var workloads = targets.ToDictionary(t => t.Name,
                t => WorkloadInventory.Analyze(t.Name, pods[t.Name], replicaSets.GetValueOrDefault(t.Name) ?? new(), gapOf), StringComparer.Ordinal);

            // The namespaces' Deployments, StatefulSets and DaemonSets, listed once per kind (cluster-wide above
            // PodLister.ClusterWideThreshold namespaces) for the template annotations and the restarts alike.
            var workloadLists = new Dictionary<string, Dictionary<string, List<JsonObject>>>(StringComparer.Ordinal);
            async Task<Dictionary<string, List<JsonObject>>> WorkloadsAsync(ResourceType type, IReadOnlyCollection<string> namespaces)
            {
                if (workloadLists.TryGetValue(type.Kind, out var known) && namespaces.All(known.ContainsKey)) return known;
                return workloadLists[type.Kind] = await PodLister.ListAsync(api, type, namespaces, ct).ConfigureAwait(false);
            }

            // 3a. Istio >= 1.22 (Calico's dikastes templates): the pod-template annotation, under -Restart (it restarts the pods).
            var templates = new List<ResourcePlan<JsonObject>>();
            var annotated = new HashSet<(string Ns, string Kind, string Name)>();
            if (generation?.Layout == InjectorLayout.DikastesTemplates)
            {
                if (!request.Restart)
                {
                    if (request.Enable)
                    {
                        log.Warning($"Istio {istioVersion} injects Dikastes only into pods annotated {IstioGeneration.TemplatesAnnotation}: {generation.WorkloadTemplates(false)} (gateways {generation.WorkloadTemplates(true)}); use -Restart to annotate the workloads' pod templates (that restarts their pods).");
                    }
                }
                else
                {
                    var annotatable = targets.Select(t => t.Name).Where(n => labels[n].Action != ChangeAction.Skipped).ToList();
                    foreach (var type in new[] { ResourceType.Deployment, ResourceType.StatefulSet, ResourceType.DaemonSet })
                    {
                        var listed = await WorkloadsAsync(type, annotatable).ConfigureAwait(false);
                        foreach (var nsName in annotatable)
                        {
                            foreach (var workload in listed[nsName])
                            {
                                var plan = await new InjectTemplatesIntent(type, workload, generation, request.Enable, request.Force).PlanAsync(api, ct).ConfigureAwait(false);
                                if (plan.Action == ChangeAction.Skipped && plan.Message != null) log.Warning(plan.Message);
                                templates.Add(plan);
                                if (plan.Action == ChangeAction.Updated) annotated.Add((nsName, type.Kind, plan.Intent.Name));
                            }
                        }
                    }
                }
            }

            // 3b. Restart plans (not for workloads whose template changes above: that change restarts them).
            var restarts = new List<(WorkloadGap Workload, ResourcePlan<JsonObject> Plan)>();
            if (request.Restart)
            {
                var now = DateTimeOffset.UtcNow;
                var toRestart = new List<WorkloadGap>();
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
                        if (annotated.Contains((w.Namespace, w.Kind, w.Name))) continue;
                        toRestart.Add(w);
                    }
                }
                // The workloads to restart come from those lists instead of one GET each; bare pods are read one by one
                // (their listing kept only some fields).
                foreach (var group in toRestart.Where(w => w.Kind != "Pod").GroupBy(w => w.Kind))
                {
                    await WorkloadsAsync(WorkloadRestartIntent.TypeOf(group.Key), group.Select(w => w.Namespace).Distinct(StringComparer.Ordinal).ToList()).ConfigureAwait(false);
                }
                foreach (var w in toRestart)
                {
                    var listed = workloadLists.TryGetValue(w.Kind, out var byNamespace) && byNamespace.TryGetValue(w.Namespace, out var objects)
                        ? objects.FirstOrDefault(o => JsonFields.GetString(o, "metadata", "name") == w.Name)
                        : null;
                    restarts.Add((w, await new WorkloadRestartIntent(w, now, listed).PlanAsync(api, ct).ConfigureAwait(false)));
                }
            }

            // 4. (Add) Envoy's egress to istio-pilot, and the allow-istio-pilot plans.
            log.Progress(verb, "Checking Envoy's egress to istio-pilot", 60);
            var pilot = pilotRead == null ? null : Verdicts(await pilotRead.ConfigureAwait(false), targets.Select(t => t.Name).ToList(), pods);
            var pilotNotes = new Dictionary<string, string>(StringComparer.Ordinal);
            if (pilot?.Check is { Port: not 15011 } check)
            {
                foreach (var (nsName, _) in targets)
                {
                    var note = await check.ShippedPolicyMismatchAsync(api, nsName, ct).ConfigureAwait(false);
                    if (note == null) continue;
                    log.Warning(note);
                    pilotNotes[nsName] = note;
                }
            }
            var pilotPlans = new Dictionary<string, ResourcePlan<JsonObject>>(StringComparer.Ordinal);
            if (pilot != null)
            {
                foreach (var (nsName, verdict) in pilot.Verdicts)
                {
                    if (verdict == "Allowed" || pilot.Check == null) continue;
                    if (!request.AllowIstioPilot)
                    {
                        log.Warning($"Namespace {nsName}: Envoy cannot reach {pilot.Check.PilotName}: {verdict}. Every sidecar there will fail; use -AllowIstioPilot to add Calico's allow-istio-pilot policy (TCP {pilot.Check.Port}).");
                        continue;
                    }
                    var intent = OwnedObjectIntent.Present(ResourceType.CalicoNetworkPolicy, PilotEgressCheck.AllowIstioPilotPolicy(nsName, pilot.Check.Port));
                    pilotPlans[nsName] = await intent.PlanAsync(api, ct).ConfigureAwait(false);
                }
            }

            // 5. Every write through one run: labels, then pilot policies (before pods are recreated), then template
            //    annotations and restarts (both recreate pods).
            log.Progress(verb, "Applying", 70);
            //    Each of the three stages holds independent writes (one object each), sent in parallel (bounded).
            var stages = new List<IReadOnlyList<ResourcePlan<JsonObject>>>
            {
                targets.Select(t => labels[t.Name]).ToList(),
                pilotPlans.Values.ToList(),
                templates.Concat(restarts.Select(r => r.Plan)).ToList(),
            };
            var outcomes = await runner.ApplyInStagesAsync(stages, ct).ConfigureAwait(false);
            var labelOutcomes = new Dictionary<string, ChangeOutcome<JsonObject>>(StringComparer.Ordinal);
            for (var i = 0; i < targets.Count; i++) labelOutcomes[targets[i].Name] = outcomes[i];
            var pilotOutcomes = pilotPlans.Keys.Select((ns, i) => (ns, outcomes[targets.Count + i])).ToDictionary(x => x.ns, x => x.Item2, StringComparer.Ordinal);
            var templateOutcomes = outcomes.Skip(targets.Count + pilotPlans.Count).Take(templates.Count).ToList();
            var reannotated = new HashSet<(string, string, string)>(templateOutcomes.Where(o => o.Done && o.Plan.Action == ChangeAction.Updated)
                .Select(o => (o.Plan.Intent.Namespace ?? "", o.Plan.Intent.Type.Kind, o.Plan.Intent.Name)));
            var restarted = new HashSet<WorkloadGap>(restarts.Where((r, i) => outcomes[targets.Count + pilotPlans.Count + templates.Count + i].Done).Select(r => r.Workload));

            // 6. With new policies in place, check again.
            if (pilot != null && pilotOutcomes.Values.Any(o => o.Status == ChangeStatus.Applied))
            {
                var recheck = await PilotVerdictsAsync(api, pilotOutcomes.Keys.ToList(), pods, generation, revision, ct).ConfigureAwait(false);
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
                    var port = pilot!.Check!.Port;
                    messages.Add(policy.Plan.Action == ChangeAction.Created
                        ? (runner.Preview ? "allow-istio-pilot would be created." : "allow-istio-pilot created.")
                        : (runner.Preview ? $"allow-istio-pilot would be set to TCP {port}." : $"allow-istio-pilot set to TCP {port}."));
                }
                else if (pilotNotes.TryGetValue(nsName, out var pilotNote))
                {
                    messages.Add(pilotNote);
                }
                var nsTemplates = templateOutcomes.Where(o => o.Plan.Intent.Namespace == nsName).ToList();
                messages.AddRange(nsTemplates.Where(o => o.Plan.Message != null && o.Plan.Action is ChangeAction.Skipped or ChangeAction.Unchanged).Select(o => o.Plan.Message!));
                var result = new AlpNamespaceResult
                {
                    Context = api.ContextName,
                    Kubeconfig = api.Kubeconfig,
                    Namespace = nsName,
                    LabelAction = label.Reported ? label.Plan.Action : ChangeAction.Unchanged,
                    LabelChanges = label.Reported ? label.Plan.Changes : Array.Empty<FieldChange>(),
                    Workloads = workloads[nsName].Select(w => restarted.Contains(w) || reannotated.Contains((w.Namespace, w.Kind, w.Name)) ? w.AsRestarted() : w).ToList(),
                    Revision = request.Enable ? revision : JsonFields.GetString(label.Plan.Current, "metadata", "labels", NamespaceInjectionIntent.RevisionLabel),
                    IstioVersion = istioVersion,
                    TemplateChanges = nsTemplates.Where(o => o.Done && o.Plan.Action == ChangeAction.Updated)
                        .Select(o => $"{o.Plan.Intent.Type.Kind}/{o.Plan.Intent.Name}: {Templates(o.Plan)}").ToList(),
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

        /// <summary>"sidecar,dikastes" (Add) or "removed" / the restored value (Remove), from the template plan's change.</summary>
        private static string Templates(ResourcePlan<JsonObject> plan)
        {
            var after = plan.Changes.FirstOrDefault()?.After;
            return after == null ? "annotation removed" : (JsonNode.Parse(after)?.GetValue<string>() ?? after);
        }

        /// <summary>Pilot verdicts per namespace; Check null when the check could not run (the verdict then says why).</summary>
        private sealed record PilotVerdicts(PilotEgressCheck? Check, Dictionary<string, string> Verdicts);

        private static async Task<PilotVerdicts> PilotVerdictsAsync(KubeApi api, IReadOnlyList<string> namespaces, Dictionary<string, List<JsonObject>> pods,
            IstioGeneration? generation, string? revision, CancellationToken ct) =>
            Verdicts(await PilotCheckAsync(api, generation, revision, ct).ConfigureAwait(false), namespaces, pods);

        /// <summary>The pilot egress check (Calico's policies as read now), or why it cannot run ("NotChecked (...)").</summary>
        private static async Task<(PilotEgressCheck? Check, string? NotChecked)> PilotCheckAsync(KubeApi api, IstioGeneration? generation, string? revision, CancellationToken ct)
        {
            try
            {
                if (!await api.ServesAsync(ResourceType.CalicoCrdGroup, "v1", ct).ConfigureAwait(false)) return (null, "NotChecked (Calico CRDs not found)");
                var check = await PilotEgressCheck.CreateAsync(api, api.Log, generation, revision, ct).ConfigureAwait(false);
                return check == null ? (null, "NotChecked (no istio-pilot or istiod)") : (check, null);
            }
            catch (AlpException ex)
            {
                api.Log.Warning($"Envoy's egress to istio-pilot was not checked: {ex.Message}");
                return (null, $"NotChecked ({ex.ErrorId})");
            }
        }

        private static PilotVerdicts Verdicts((PilotEgressCheck? Check, string? NotChecked) pilot, IReadOnlyList<string> namespaces, Dictionary<string, List<JsonObject>> pods) =>
            pilot.Check == null
                ? new PilotVerdicts(null, namespaces.ToDictionary(n => n, _ => pilot.NotChecked ?? "NotChecked", StringComparer.Ordinal))
                : new PilotVerdicts(pilot.Check, namespaces.ToDictionary(n => n, n => pilot.Check.Check(n, pods[n]), StringComparer.Ordinal));
    }
}
