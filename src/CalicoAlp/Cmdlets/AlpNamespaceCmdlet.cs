using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Namespaces;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// Shared flow of Add-AlpNamespace and Remove-AlpNamespace: collect names from the pipeline, then per cluster one
    /// LIST of namespaces, the label changes, one LIST of pods per namespace (or one cluster-wide), the workload
    /// report and, with -Restart, the rolling restarts; one result per namespace.
    /// </summary>
    public abstract class AlpNamespaceCmdlet : KubeCmdlet
    {
        private readonly List<(KubeApi Api, List<string> Names)> _batches = new();

        // ValueFromPipeline only (not by property name): other cmdlets' results have a Name that is not a namespace.
        // The transformation takes the name from Namespace objects, Add-AlpNamespace results and CSV rows.
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name", ValueFromPipeline = true)]
        [Alias("Namespace")]
        [SupportsWildcards]
        [NamespaceNameTransformation]
        [ValidateNotNullOrEmpty]
        public string[] Name { get; set; } = Array.Empty<string>();

        /// <summary>Every namespace (narrowed by -Selector).</summary>
        [Parameter(Mandatory = true, ParameterSetName = "All")]
        public SwitchParameter All { get; set; }

        /// <summary>A Kubernetes label selector for -All, e.g. 'team=shop,env!=dev'.</summary>
        [Parameter(ParameterSetName = "All")]
        [ValidateNotNullOrEmpty]
        public string? Selector { get; set; }

        /// <summary>Recreate the pods that need it: rolling restart of Deployments, StatefulSets and DaemonSets.</summary>
        [Parameter]
        public SwitchParameter Restart { get; set; }

        /// <summary>Also act on protected namespaces and explicit opt-outs, and delete bare pods with -Restart.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected abstract bool Enable { get; }

        protected override void ProcessRecord()
        {
            var api = Connect();
            var batch = _batches.FirstOrDefault(b => ReferenceEquals(b.Api, api));
            if (batch.Api == null)
            {
                batch = (api, new List<string>());
                _batches.Add(batch);
            }
            if (ParameterSetName == "Name") batch.Names.AddRange(Name);
        }

        protected override void EndProcessing()
        {
            foreach (var (api, names) in _batches)
            {
                try
                {
                    ProcessCluster(api, names);
                }
                catch (AlpException ex)
                {
                    WriteError(ToErrorRecord(ex));
                }
            }
        }

        private void ProcessCluster(KubeApi api, List<string> names)
        {
            var verb = Enable ? "Adding namespaces to ALP" : "Removing namespaces from ALP";
            Progress(verb, $"Listing namespaces on '{api.ContextName}'", 0);
            var resolution = Run(ct => NamespaceResolver.ResolveAsync(api, names.Distinct(StringComparer.Ordinal).ToList(), All, Selector, ct));
            foreach (var missing in resolution.Unmatched)
            {
                WriteError(new ErrorRecord(new ItemNotFoundException($"No namespace matches '{missing}' on context '{api.ContextName}'."),
                    "NamespaceNotFound", ErrorCategory.ObjectNotFound, missing));
            }
            var targets = new List<(string Name, System.Text.Json.Nodes.JsonObject Obj)>();
            foreach (var ns in resolution.Namespaces)
            {
                var nsName = Core.Json.JsonDiff.GetString(ns, "metadata", "name") ?? "";
                if (NamespaceResolver.Protected.Contains(nsName) && !Force)
                {
                    WriteError(new ErrorRecord(new InvalidOperationException($"'{nsName}' is a platform namespace (Kubernetes, Istio or Calico); use -Force to change it anyway."),
                        "ProtectedNamespace", ErrorCategory.PermissionDenied, nsName));
                    continue;
                }
                targets.Add((nsName, ns));
            }
            if (targets.Count == 0) return;

            if (Enable)
            {
                var injects = Run(ct => InjectorInspector.InjectsDikastesAsync(api, ct));
                if (injects == false)
                {
                    WriteWarning("The Istio sidecar injector does not inject Dikastes yet: recreated pods get Envoy without Dikastes. Run Set-IstioInjectorPatch first.");
                }
            }

            // 1. Labels.
            var labelResults = new Dictionary<string, (ChangeAction Action, IReadOnlyList<FieldChange> Changes, string? Message)>(StringComparer.Ordinal);
            for (var i = 0; i < targets.Count; i++)
            {
                var (nsName, obj) = targets[i];
                Progress(verb, $"Namespace {nsName} ({i + 1}/{targets.Count})", 10 + 40 * i / targets.Count);
                try
                {
                    var intent = new NamespaceInjectionIntent(nsName, Enable, Force, obj);
                    var plan = Run(ct => intent.PlanAsync(api, ct));
                    if (plan.Action == ChangeAction.Skipped) WriteWarning(plan.Message);
                    if (plan.IsWrite && !ShouldProcess($"Namespace {nsName} (context '{api.ContextName}')", plan.Describe()))
                    {
                        if (IsWhatIf)
                        {
                            // Let the API server check the label change (RBAC, admission) without persisting it.
                            Run(ct => IntentExecutor.ApplyAsync(api, plan, dryRun: true, ct));
                            WriteVerbose($"Server-side dry run of '{plan.Describe()}' on namespace {nsName}: accepted.");
                        }
                        labelResults[nsName] = (ChangeAction.Unchanged, Array.Empty<FieldChange>(), "Not changed (declined or -WhatIf).");
                        continue;
                    }
                    var change = Run(ct => IntentExecutor.ApplyAsync(api, plan, dryRun: false, ct));
                    labelResults[nsName] = (change.Action, change.Changes, change.Message);
                }
                catch (AlpException ex)
                {
                    WriteError(ToErrorRecord(ex));
                    targets.RemoveAt(i--);
                }
            }

            // 2. Pods, grouped by workload.
            Progress(verb, "Listing pods", 55);
            var pods = Run(ct => PodLister.ListAsync(api, targets.Select(t => t.Name).ToList(), ct));
            Func<System.Text.Json.Nodes.JsonObject, SidecarGap?> gapOf = Enable ? WorkloadInventory.MissingSidecar : WorkloadInventory.StillInjected;
            // The owners of ReplicaSet pods are read from the ReplicaSets, listed only where such pods have a gap.
            var replicaSets = Run(ct => PodLister.ListAsync(api, ResourceType.ReplicaSet, targets.Select(t => t.Name).Where(n => WorkloadInventory.NeedsReplicaSets(pods[n], gapOf)).ToList(), ct));
            var now = DateTimeOffset.UtcNow;
            var results = new List<AlpNamespaceResult>();
            for (var i = 0; i < targets.Count; i++)
            {
                var nsName = targets[i].Name;
                var workloads = WorkloadInventory.Analyze(nsName, pods[nsName], replicaSets.GetValueOrDefault(nsName) ?? new(), gapOf);
                var label = labelResults[nsName];
                if (Restart && label.Action == ChangeAction.Skipped)
                {
                    WriteWarning($"Namespace {nsName}: no restart, because its label was left as it is (see above); recreated pods would not change.");
                }
                else if (Restart)
                {
                    RestartWorkloads(api, workloads, now);
                }
                var result = new AlpNamespaceResult
                {
                    Context = api.ContextName,
                    Kubeconfig = api.Kubeconfig,
                    Namespace = nsName,
                    LabelAction = label.Action,
                    LabelChanges = label.Changes,
                    Workloads = workloads,
                    Message = label.Message,
                };
                if (!Restart && result.PodsNeedingRestart > 0)
                {
                    WriteWarning($"Namespace {nsName}: {result.PodsNeedingRestart} pod(s) run {(Enable ? "without Envoy and Dikastes" : "with sidecars")} until recreated: {result.WorkloadSummary}. Use -Restart.");
                }
                results.Add(result);
                Progress(verb, $"Namespace {nsName} checked", 60 + 35 * (i + 1) / targets.Count);
            }
            CompleteResults(api, results, pods);
            Progress(verb, "Done", 100, completed: true);
            if (IsWhatIf) return;
            foreach (var r in results) WriteObject(r);
        }

        /// <summary>Hook for Add-AlpNamespace's egress check (pods: the namespaces' pods as listed).</summary>
        protected virtual void CompleteResults(KubeApi api, List<AlpNamespaceResult> results, Dictionary<string, List<System.Text.Json.Nodes.JsonObject>> pods)
        {
        }

        private void RestartWorkloads(KubeApi api, List<WorkloadGap> workloads, DateTimeOffset now)
        {
            foreach (var w in workloads)
            {
                if (!w.Restartable && !(w.Kind == "Pod" && Force))
                {
                    if (w.Kind == "Pod") WriteWarning($"Bare pod {w.Namespace}/{w.Name} not deleted: nothing would recreate it. Use -Force to delete it anyway.");
                    else WriteWarning($"{w.Kind} {w.Namespace}/{w.Name}: {w.Note}.");
                    continue;
                }
                try
                {
                    var intent = new WorkloadRestartIntent(w, now);
                    var plan = Run(ct => intent.PlanAsync(api, ct));
                    var action = w.Kind == "Pod" ? $"Delete bare pod ({w.Gap})" : $"Rolling restart ({w.PodCount} pod(s): {w.Gap})";
                    if (!plan.IsWrite || !ShouldProcess($"{w.Kind} {w.Namespace}/{w.Name} (context '{api.ContextName}')", action)) continue;
                    Run(ct => IntentExecutor.ApplyAsync(api, plan, dryRun: false, ct));
                    w.MarkRestarted();
                }
                catch (AlpException ex)
                {
                    WriteError(ToErrorRecord(ex));
                }
            }
        }
    }

    /// <summary>Puts namespaces under ALP: istio-injection=enabled, the pods that still lack Envoy/Dikastes, and optional rolling restarts.</summary>
    [Cmdlet(VerbsCommon.Add, "AlpNamespace", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Name")]
    [OutputType(typeof(AlpNamespaceResult))]
    public sealed class AddAlpNamespaceCommand : AlpNamespaceCmdlet
    {
        protected override bool Enable => true;

        /// <summary>Where Envoy's egress to istio-pilot is blocked, create Calico's allow-istio-pilot NetworkPolicy in that namespace.</summary>
        [Parameter]
        public SwitchParameter AllowIstioPilot { get; set; }

        protected override void CompleteResults(KubeApi api, List<AlpNamespaceResult> results, Dictionary<string, List<System.Text.Json.Nodes.JsonObject>> pods)
        {
            if (results.Count == 0) return;
            PilotEgressCheck? check;
            try
            {
                if (!Run(ct => api.ServesAsync(ResourceType.CalicoCrdGroup, "v1", ct)))
                {
                    foreach (var r in results) r.PilotEgress = "NotChecked (Calico CRDs not found)";
                    return;
                }
                check = Run(ct => PilotEgressCheck.CreateAsync(api, Log, ct));
            }
            catch (AlpException ex)
            {
                WriteWarning($"Envoy's egress to istio-pilot was not checked: {ex.Message}");
                foreach (var r in results) r.PilotEgress = $"NotChecked ({ex.ErrorId})";
                return;
            }
            if (check == null)
            {
                foreach (var r in results) r.PilotEgress = "NotChecked (no istio-pilot or istiod)";
                return;
            }
            var created = false;
            foreach (var r in results)
            {
                r.PilotEgress = check.Check(r.Namespace, pods[r.Namespace]);
                if (r.PilotEgress == "Allowed") continue;
                if (!AllowIstioPilot)
                {
                    WriteWarning($"Namespace {r.Namespace}: Envoy cannot reach istio-pilot: {r.PilotEgress}. Every sidecar there will fail; use -AllowIstioPilot to add Calico's allow-istio-pilot policy.");
                    continue;
                }
                try
                {
                    var intent = OwnedObjectIntent.Present(ResourceType.CalicoNetworkPolicy, PilotEgressCheck.AllowIstioPilotPolicy(r.Namespace));
                    var plan = Run(ct => intent.PlanAsync(api, ct));
                    if (plan.IsWrite && ShouldProcess($"{intent.Display} (context '{api.ContextName}')", plan.Describe()))
                    {
                        Run(ct => IntentExecutor.ApplyAsync(api, plan, dryRun: false, ct));
                        r.Message = (r.Message == null ? "" : r.Message + " ") + "allow-istio-pilot created.";
                        created = true;
                    }
                }
                catch (AlpException ex)
                {
                    WriteError(ToErrorRecord(ex));
                }
            }
            if (created)
            {
                // Check again with the new policies in place.
                var recheck = Run(ct => PilotEgressCheck.CreateAsync(api, Log, ct))!;
                foreach (var r in results.Where(x => x.PilotEgress != "Allowed")) r.PilotEgress = recheck.Check(r.Namespace, pods[r.Namespace]);
            }
        }
    }

    /// <summary>Takes namespaces out of ALP: removes istio-injection, and with -Restart recreates pods without sidecars.</summary>
    [Cmdlet(VerbsCommon.Remove, "AlpNamespace", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Name")]
    [OutputType(typeof(AlpNamespaceResult))]
    public sealed class RemoveAlpNamespaceCommand : AlpNamespaceCmdlet
    {
        protected override bool Enable => false;
    }
}
