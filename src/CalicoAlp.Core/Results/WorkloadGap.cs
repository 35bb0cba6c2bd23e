using CalicoAlp.Core.Json;
using CalicoAlp.Core.Namespaces;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System;

namespace CalicoAlp.Core.Results
{
    /// <summary>A workload (or bare pod) whose pods lack the istio-proxy or dikastes container.</summary>
    public sealed class WorkloadGap
    {
        public WorkloadGap(string ns, string kind, string name, IReadOnlyList<string> pods, SidecarGap gap, bool restartable, string? note, bool restarted = false)
        {
            Restarted = restarted;
            Namespace = ns;
            Kind = kind;
            Name = name;
            Pods = pods;
            Gap = gap;
            Restartable = restartable;
            Note = note;
        }

        public string Namespace { get; }
        /// <summary>Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or Pod (a bare pod).</summary>
        public string Kind { get; }
        public string Name { get; }
        public IReadOnlyList<string> Pods { get; }
        public int PodCount => Pods.Count;
        public SidecarGap Gap { get; }
        /// <summary>True when a rolling restart (pod-template annotation) recreates its pods.</summary>
        public bool Restartable { get; }
        public string? Note { get; }
        /// <summary>True when the workload was restarted (or the bare pod deleted); under -WhatIf: would be.</summary>
        public bool Restarted { get; }

        /// <summary>The same workload, reported as restarted.</summary>
        public WorkloadGap AsRestarted() => new(Namespace, Kind, Name, Pods, Gap, Restartable, Note, restarted: true);

        public override string ToString() => $"{Kind}/{Name} ({PodCount} pod{(PodCount == 1 ? "" : "s")}, {Gap})";
    }
}
