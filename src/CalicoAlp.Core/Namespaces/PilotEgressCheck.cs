using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Generations;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Policy.Cluster;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Requests;

namespace CalicoAlp.Core.Namespaces
{
    /// <summary>
    /// Whether Envoy in a namespace can still reach istio-pilot under the cluster's Calico and Kubernetes egress
    /// policies: TCP 15011 (mTLS pilot, Istio 1.0-1.4) or 15012 (istiod), evaluated with the decision engine's egress
    /// mode for every distinct workload (service account + pod labels) in the namespace.
    /// </summary>
    public sealed class PilotEgressCheck
    {
        private static readonly IPAddress SourceAddress = IPAddress.Parse("10.255.0.10");
        private static readonly IPAddress PilotAddress = IPAddress.Parse("10.255.0.20");
        private readonly PolicyEngine _engine;
        private readonly AlpRequestBuilder _requests;

        private PilotEgressCheck(PolicyEngine engine, WorkloadInfo pilot, int port, string pilotName)
        {
            _engine = engine;
            _requests = new AlpRequestBuilder(engine);
            Pilot = pilot;
            Port = port;
            PilotName = pilotName;
        }

        public WorkloadInfo Pilot { get; }
        public int Port { get; }
        public string PilotName { get; }

        /// <summary>
        /// Reads the policies and the control plane once per cluster. With the cluster's Istio generation known, the
        /// control plane is the one the generation table names (istio-pilot :15011 up to Istio 1.4, istiod :15012 from
        /// 1.5; istiod-&lt;rev&gt; for a revision); otherwise the first of the table's candidates that exists.
        /// </summary>
        public static async Task<PilotEgressCheck?> CreateAsync(KubeApi api, IOperationLog log, IstioGeneration? generation, string? revision, CancellationToken ct)
        {
            JsonObject? pilot = null;
            var name = "";
            var port = 0;
            var candidates = generation != null
                ? new[] { (Service: generation.PilotService, Port: generation.PilotPort) }
                : IstioGeneration.PilotCandidates;
            foreach (var (service, candidatePort) in candidates)
            {
                var candidate = revision != null && revision != IstioRevisions.DefaultRevision && service == "istiod" ? $"istiod-{revision}" : service;
                pilot = await api.GetAsync(ResourceType.Deployment, AlpConstants.IstioNamespace, candidate, ct).ConfigureAwait(false);
                if (pilot != null)
                {
                    name = candidate;
                    port = candidatePort;
                    break;
                }
            }
            if (pilot == null)
            {
                log.Verbose($"No {string.Join(" or ", candidates.Select(c => c.Service))} Deployment in istio-system: pilot egress not checked.");
                return null;
            }
            var labels = JsonFields.StringMap(pilot["spec"]?["template"]?["metadata"]?["labels"]);
            var sa = JsonFields.GetString(pilot, "spec", "template", "spec", "serviceAccountName") ?? "default";
            var set = await ClusterPolicySource.LoadAsync(api, ct).ConfigureAwait(false);
            var engine = PolicyEngine.Compile(set);
            log.Verbose($"Pilot egress check: {set.Policies.Count} policies; target {name} (service account {sa}) on TCP {port}.");
            return new PilotEgressCheck(engine, new WorkloadInfo(AlpConstants.IstioNamespace, sa, labels), port, name);
        }

        /// <summary>"Allowed", or "Blocked by &lt;policy&gt;" naming the first blocked workload, for the namespace's pods.</summary>
        public string Check(string ns, IReadOnlyList<JsonObject> pods)
        {
            var workloads = new List<(string Display, WorkloadInfo Workload)>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var pod in pods)
            {
                var sa = JsonFields.GetString(pod, "spec", "serviceAccountName") ?? "default";
                var labels = JsonFields.StringMap(pod["metadata"]?["labels"]);
                var key = sa + "|" + string.Join(",", labels.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value));
                if (seen.Add(key)) workloads.Add(($"pod {JsonFields.GetString(pod, "metadata", "name")}", new WorkloadInfo(ns, sa, labels)));
            }
            if (workloads.Count == 0)
            {
                // No pods yet: the namespace's future pods, as the default service account without labels.
                workloads.Add(("a pod with no labels", new WorkloadInfo(ns, "default", new Dictionary<string, string>())));
            }
            foreach (var (display, workload) in workloads)
            {
                // Egress from the workload (its own mTLS identity) to pilot's port.
                var decision = _engine.Evaluate(_requests.Build(new RequestFields
                {
                    Direction = TrafficDirection.Egress,
                    SourceIP = SourceAddress,
                    SourceWorkload = workload,
                    DestinationIP = PilotAddress,
                    DestinationPort = Port,
                    DestinationWorkload = Pilot,
                }));
                if (decision.Verdict != Verdict.Allow)
                {
                    var by = decision.Policy ?? (decision.Tier != null ? $"the end of tier {decision.Tier}" : decision.Profile ?? "no matching rule");
                    return $"Blocked by {by} ({display}, TCP {Port} to {PilotName})";
                }
            }
            return "Allowed";
        }

        /// <summary>Names Calico's allow-istio-pilot.yaml policy may have in the CRD store (with and without the tier prefix).</summary>
        private static readonly string[] ShippedPolicyNames = { "allow-istio-pilot", "default.allow-istio-pilot" };

        /// <summary>
        /// On a cluster whose control plane listens on another port than 15011 (istiod: 15012): a message when the
        /// namespace has Calico's shipped allow-istio-pilot policy opening TCP 15011 but not <see cref="Port"/>; else null.
        /// </summary>
        public async Task<string?> ShippedPolicyMismatchAsync(KubeApi api, string ns, CancellationToken ct)
        {
            foreach (var name in ShippedPolicyNames)
            {
                var policy = await api.GetAsync(ResourceType.CalicoNetworkPolicy, ns, name, ct).ConfigureAwait(false);
                if (policy == null) continue;
                var ports = new HashSet<int>();
                if (policy["spec"]?["egress"] is JsonArray rules)
                {
                    foreach (var rule in rules)
                    {
                        if (rule?["destination"]?["ports"] is not JsonArray list) continue;
                        foreach (var p in list)
                        {
                            if (p is JsonValue v && (v.TryGetValue<int>(out var n) || (v.TryGetValue<string>(out var str) && int.TryParse(str, out n)))) ports.Add(n);
                        }
                    }
                }
                if (ports.Contains(15011) && !ports.Contains(Port))
                {
                    return $"NetworkPolicy {ns}/{name} (Calico's allow-istio-pilot.yaml) opens only TCP 15011, istio-pilot's port up to Istio 1.4; sidecars reach {PilotName} on TCP {Port}, which it does not open. Use -AllowIstioPilot to set it to {Port}.";
                }
            }
            return null;
        }

        /// <summary>
        /// Calico's allow-istio-pilot.yaml as the CRD-stored NetworkPolicy of <paramref name="ns"/> (no calicoctl needed),
        /// with one correction: Calico's file puts <c>projectcalico.org/namespace == 'istio-system' &amp;&amp; istio == 'pilot'</c>
        /// in the destination <c>selector</c> of a namespaced policy, and Calico scopes a namespaced policy's selector
        /// without a namespaceSelector to the policy's own namespace, so that rule can never match pilot (the engine shows
        /// it). Here istio-system is chosen with a <c>namespaceSelector</c> instead, and the port is the control plane's
        /// (<paramref name="port"/>: Calico's file says 15011, istio-pilot's; istiod's sidecars use 15012); everything else is Calico's.
        /// </summary>
        public static JsonObject AllowIstioPilotPolicy(string ns, int port) => new()
        {
            ["apiVersion"] = ResourceType.CalicoNetworkPolicy.ApiVersion,
            ["kind"] = "NetworkPolicy",
            ["metadata"] = new JsonObject { ["name"] = "allow-istio-pilot", ["namespace"] = ns },
            ["spec"] = new JsonObject
            {
                ["selector"] = "all()",
                ["types"] = new JsonArray("Egress"),
                ["order"] = 0,
                ["egress"] = new JsonArray(new JsonObject
                {
                    ["action"] = "Allow",
                    ["protocol"] = "TCP",
                    ["destination"] = new JsonObject
                    {
                        ["namespaceSelector"] = "projectcalico.org/name == 'istio-system'",
                        ["selector"] = "istio == 'pilot'",
                        ["ports"] = new JsonArray(port),
                    },
                }),
            },
        };
    }
}
