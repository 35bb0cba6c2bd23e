using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Namespaces;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Status
{
    /// <summary>
    /// The namespaces labelled for injection, the pods in them that lack istio-proxy or dikastes, and whether their
    /// sidecars can reach istio-pilot/istiod under the cluster's policies. One LIST of namespaces, the pods of the
    /// labelled ones (<see cref="PodLister"/>: one cluster-wide LIST above a few namespaces) and the policies once,
    /// whatever the number of namespaces. Without -Detailed one result per check names the namespaces at fault;
    /// with it, one result per namespace.
    /// </summary>
    internal static class NamespaceChecks
    {
        private const int Shown = 5;

        public static async Task RunAsync(StatusReport report, KubeApi api, PrerequisiteReport prerequisites, IReadOnlyList<IstioControlPlane> planes, bool detailed, CancellationToken ct)
        {
            if (!prerequisites.IstioFound)
            {
                report.Add("Namespaces", "Namespaces.Injection", AlpCheckStatus.Skipped, "Not checked: Istio was not found.");
                return;
            }
            var namespaces = await api.ListAsync(ResourceType.Namespace, null, null, null, ct).ConfigureAwait(false);
            var revisions = new HashSet<string>(planes.Select(p => p.Revision), StringComparer.Ordinal);
            var labelled = new List<string>();
            var orphaned = new List<string>();
            foreach (var ns in namespaces)
            {
                var name = JsonFields.GetString(ns, "metadata", "name") ?? "";
                var injection = JsonFields.GetString(ns, "metadata", "labels", NamespaceInjectionIntent.InjectionLabel);
                var revision = JsonFields.GetString(ns, "metadata", "labels", NamespaceInjectionIntent.RevisionLabel);
                if (injection == "enabled") labelled.Add(name);
                else if (injection == null && !string.IsNullOrEmpty(revision))
                {
                    labelled.Add(name);
                    if (planes.Count > 0 && !revisions.Contains(revision)) orphaned.Add($"{name} ({NamespaceInjectionIntent.RevisionLabel}={revision})");
                }
            }
            labelled.Sort(StringComparer.Ordinal);

            if (labelled.Count == 0)
            {
                report.Add("Namespaces", "Namespaces.Injection", AlpCheckStatus.Warn,
                    "No namespace is labelled for sidecar injection: no workload is under application layer policy.", null,
                    report.Command("Add-AlpNamespace", "-Name <namespace> -Restart", revision: true));
                report.Add("Workloads", "Workloads.Sidecars", AlpCheckStatus.NotApplicable, "No namespace is labelled for injection.");
                report.Add("PilotEgress", "PilotEgress.Allowed", AlpCheckStatus.NotApplicable, "No namespace is labelled for injection.");
                return;
            }
            if (orphaned.Count > 0)
            {
                report.Add("Namespaces", "Namespaces.Injection", AlpCheckStatus.Fail,
                    $"{orphaned.Count} namespace(s) are labelled for an Istio revision with no control plane, so their new pods get no sidecar: {Names(orphaned)}.",
                    orphaned.Select(o => "Namespace " + o.Split(' ')[0]).ToList(),
                    report.Command("Add-AlpNamespace", $"-Name {StatusReport.QuoteList(orphaned.Select(o => o.Split(' ')[0]))} -Force -Restart", revision: true));
            }
            else
            {
                report.Add("Namespaces", "Namespaces.Injection", AlpCheckStatus.Pass,
                    $"{labelled.Count} namespace(s) labelled for injection: {Names(labelled)}.", labelled.Select(n => "Namespace " + n).ToList());
            }

            var pods = await PodLister.ListAsync(api, labelled, ct).ConfigureAwait(false);
            Sidecars(report, labelled, pods, detailed);
            await PilotEgressAsync(report, api, prerequisites, labelled, pods, detailed, ct).ConfigureAwait(false);
        }

        private static void Sidecars(StatusReport report, IReadOnlyList<string> labelled, Dictionary<string, List<JsonObject>> pods, bool detailed)
        {
            var gaps = new List<(string Namespace, int NoSidecar, int NoDikastes, List<string> Pods)>();
            foreach (var ns in labelled)
            {
                int noSidecar = 0, noDikastes = 0;
                var names = new List<string>();
                foreach (var pod in pods[ns])
                {
                    var gap = WorkloadInventory.MissingSidecar(pod);
                    if (gap == null) continue;
                    if (gap == SidecarGap.NoSidecar) noSidecar++; else noDikastes++;
                    names.Add($"Pod {ns}/{JsonFields.GetString(pod, "metadata", "name")}");
                }
                if (detailed)
                {
                    if (names.Count == 0)
                    {
                        report.Add("Workloads", "Workloads.Sidecars", AlpCheckStatus.Pass, $"{ns}: all {pods[ns].Count} pod(s) have istio-proxy and dikastes.", new[] { "Namespace " + ns });
                    }
                    else
                    {
                        report.Add("Workloads", "Workloads.Sidecars", AlpCheckStatus.Fail, $"{ns}: {Describe(noSidecar, noDikastes)}.", names,
                            report.Command("Add-AlpNamespace", $"-Name {StatusReport.Quote(ns)} -Restart", revision: true), AlpRepairKind.NamespaceWorkloads, new[] { ns }, Why);
                    }
                }
                if (names.Count > 0) gaps.Add((ns, noSidecar, noDikastes, names));
            }
            if (detailed) return;
            if (gaps.Count == 0)
            {
                report.Add("Workloads", "Workloads.Sidecars", AlpCheckStatus.Pass,
                    $"Every running pod of the {labelled.Count} labelled namespace(s) has istio-proxy and dikastes ({pods.Values.Sum(p => p.Count)} pod(s)).");
                return;
            }
            var affected = gaps.Select(g => g.Namespace).ToList();
            report.Add("Workloads", "Workloads.Sidecars", AlpCheckStatus.Fail,
                $"{Describe(gaps.Sum(g => g.NoSidecar), gaps.Sum(g => g.NoDikastes))} in {gaps.Count} namespace(s): {Names(gaps.Select(g => $"{g.Namespace} ({g.Pods.Count})").ToList())}.",
                gaps.SelectMany(g => g.Pods).Take(50).ToList(),
                report.Command("Add-AlpNamespace", $"-Name {StatusReport.QuoteList(affected)} -Restart", revision: true), AlpRepairKind.NamespaceWorkloads, affected, Why);
        }

        private const string Why = "Pods created before their namespace was labelled have no istio-proxy (only L3/L4 policy applies); pods injected before the injector had Dikastes have Envoy without Dikastes, and with the mesh-wide ext-authz filter their inbound requests fail. Recreating them (a rolling restart) injects both.";

        private static string Describe(int noSidecar, int noDikastes)
        {
            var parts = new List<string>();
            if (noSidecar > 0) parts.Add($"{noSidecar} pod(s) without istio-proxy");
            if (noDikastes > 0) parts.Add($"{noDikastes} pod(s) with istio-proxy but without dikastes");
            return string.Join(", ", parts);
        }

        private static async Task PilotEgressAsync(StatusReport report, KubeApi api, PrerequisiteReport prerequisites, IReadOnlyList<string> labelled,
            Dictionary<string, List<JsonObject>> pods, bool detailed, CancellationToken ct)
        {
            var check = await PilotEgressCheck.CreateAsync(api, api.Log, prerequisites.Generation, prerequisites.IstioRevision, ct).ConfigureAwait(false);
            if (check == null)
            {
                report.Add("PilotEgress", "PilotEgress.Allowed", AlpCheckStatus.Warn,
                    "No istio-pilot or istiod Deployment was found in istio-system: egress from the sidecars to the control plane was not checked.");
                return;
            }
            var blocked = new List<(string Namespace, string Reason)>();
            foreach (var ns in labelled)
            {
                var verdict = check.Check(ns, pods[ns]);
                if (verdict == "Allowed")
                {
                    if (detailed) report.Add("PilotEgress", "PilotEgress.Allowed", AlpCheckStatus.Pass, $"{ns}: sidecars reach {check.PilotName} on TCP {check.Port}.", new[] { "Namespace " + ns });
                    continue;
                }
                blocked.Add((ns, verdict));
                if (detailed)
                {
                    report.Add("PilotEgress", "PilotEgress.Allowed", AlpCheckStatus.Fail, $"{ns}: {verdict}: sidecars there cannot get their configuration or certificates.", new[] { "Namespace " + ns },
                        report.Command("Add-AlpNamespace", $"-Name {StatusReport.Quote(ns)} -AllowIstioPilot", revision: true), AlpRepairKind.PilotEgress, new[] { ns });
                }
            }
            if (detailed) return;
            if (blocked.Count == 0)
            {
                report.Add("PilotEgress", "PilotEgress.Allowed", AlpCheckStatus.Pass,
                    $"Sidecars of all {labelled.Count} labelled namespace(s) reach {check.PilotName} on TCP {check.Port}.", new[] { $"Deployment {AlpConstants.IstioNamespace}/{check.PilotName}" });
                return;
            }
            var names = blocked.Select(b => b.Namespace).ToList();
            report.Add("PilotEgress", "PilotEgress.Allowed", AlpCheckStatus.Fail,
                $"Egress to {check.PilotName} on TCP {check.Port} is blocked in {blocked.Count} namespace(s): {Names(blocked.Select(b => $"{b.Namespace}: {b.Reason}").ToList())}.",
                names.Select(n => "Namespace " + n).ToList(),
                report.Command("Add-AlpNamespace", $"-Name {StatusReport.QuoteList(names)} -AllowIstioPilot", revision: true), AlpRepairKind.PilotEgress, names);
        }

        private static string Names(IReadOnlyList<string> names) =>
            string.Join(", ", names.Take(Shown)) + (names.Count > Shown ? $" and {names.Count - Shown} more" : "");
    }
}
