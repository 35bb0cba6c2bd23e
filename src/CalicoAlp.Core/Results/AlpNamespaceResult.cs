using CalicoAlp.Core.Namespaces;
using CalicoAlp.Core.Results;
using System.Collections.Generic;
using System.Linq;
namespace CalicoAlp.Core.Results
{
    /// <summary>One namespace put under (or taken out of) ALP: the label change, the workloads whose pods still need
    /// recreating, what was restarted, and whether Envoy can still reach istio-pilot.</summary>
    public sealed class AlpNamespaceResult
    {
        public string Context { get; init; } = "";
        public string? Kubeconfig { get; init; }
        public string Namespace { get; init; } = "";
        /// <summary>What happened to the istio-injection label.</summary>
        public ChangeAction LabelAction { get; init; }
        public IReadOnlyList<FieldChange> LabelChanges { get; init; } = new List<FieldChange>();
        /// <summary>Workloads whose pods lack (Add) or still carry (Remove) the sidecars, as listed before any restart (Restarted: recreated by this run).</summary>
        public IReadOnlyList<WorkloadGap> Workloads { get; init; } = new List<WorkloadGap>();
        public int PodsNeedingRestart => Workloads.Sum(w => w.Restarted ? 0 : w.PodCount);
        public IReadOnlyList<string> RestartedWorkloads => Workloads.Where(w => w.Restarted).Select(w => $"{w.Kind}/{w.Name}").ToList();
        /// <summary>The Istio revision the namespace is labelled for (istio.io/rev), or null for istio-injection.</summary>
        public string? Revision { get; init; }
        /// <summary>The cluster's Istio version as detected (null when unknown).</summary>
        public string? IstioVersion { get; init; }
        /// <summary>Istio ≥ 1.22: the pod templates given (Add) or relieved of (Remove) inject.istio.io/templates, "Deployment/web: sidecar,dikastes".</summary>
        public IReadOnlyList<string> TemplateChanges { get; init; } = new List<string>();
        /// <summary>Allowed, Blocked (by the named policy) or NotChecked (with the reason).</summary>
        public string PilotEgress { get; init; } = "NotChecked";
        public string? Message { get; init; }
        /// <summary>True under -WhatIf: the label change, restarts and policies were validated by a server-side dry run, not made.</summary>
        public bool WhatIf { get; init; }

        public string WorkloadSummary => Workloads.Count == 0 ? "" : string.Join(", ", Workloads.Where(w => !w.Restarted).Select(w => w.ToString()));
    }
}
