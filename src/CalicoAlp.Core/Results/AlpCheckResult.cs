using System;
using System.Collections.Generic;

namespace CalicoAlp.Core.Results
{
    /// <summary>
    /// One Get-AlpStatus check on one cluster: its area and name, the verdict, a one-line message, the objects it
    /// concerns and the command that fixes it. Context and Kubeconfig bind by property name to the next cmdlet, so
    /// <c>Get-AlpStatus | Where-Object Status -eq Fail | Repair-AlpSetup</c> repairs the cluster each result came from;
    /// <see cref="Repair"/> and <see cref="RepairNamespaces"/> say what Repair-AlpSetup does for it.
    /// </summary>
    public sealed class AlpCheckResult
    {
        public string Context { get; init; } = "";
        public string? Kubeconfig { get; init; }
        /// <summary>Calico, Felix, Istio, MutualTls, Injector, AuthorizationService, Namespaces, Workloads, PilotEgress (or Cluster for a cluster that could not be checked).</summary>
        public string Area { get; init; } = "";
        /// <summary>The check's stable name, e.g. Felix.PolicySyncPathPrefix.</summary>
        public string Check { get; init; } = "";
        public AlpCheckStatus Status { get; init; }
        public string Message { get; init; } = "";
        /// <summary>The objects concerned, as "Kind namespace/name".</summary>
        public IReadOnlyList<string> Objects { get; init; } = Array.Empty<string>();
        /// <summary>The command (or manual step) that fixes a Fail or Warn; null when there is nothing to fix.</summary>
        public string? FixCommand { get; init; }
        public AlpRepairKind Repair { get; init; }
        /// <summary>For the namespace repairs: the namespaces to act on.</summary>
        public IReadOnlyList<string> RepairNamespaces { get; init; } = Array.Empty<string>();
        /// <summary>The Istio revision the checks were made for.</summary>
        public string? Revision { get; init; }
        /// <summary>Longer explanation (why it matters, what was read), shown by -Detailed's list view.</summary>
        public string? Detail { get; init; }

        public override string ToString() => $"[{Status}] {Check}: {Message}";
    }
}
