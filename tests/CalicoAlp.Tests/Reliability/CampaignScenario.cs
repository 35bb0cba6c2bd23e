using System;
using System.Collections;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using System.Text.Json.Nodes;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Tests.Reliability
{
    /// <summary>
    /// A pair of mutating cmdlets (on/off) over the same objects, for the fault campaign: how to call each, the object
    /// the concurrent writer edits (one that outlives both cmdlets), the states that are whole (no half-written object),
    /// and the state each cmdlet intends.
    /// </summary>
    public abstract class CampaignScenario
    {
        public abstract string OnCmdlet { get; }
        public abstract string OffCmdlet { get; }

        /// <summary>Parameters of a run (the kubeconfig goes through the fault proxy or straight to the API server).</summary>
        public abstract Hashtable Parameters(bool on, string kubeconfig);

        /// <summary>The object the concurrent writer labels just before the cmdlet's own write to it: (type, namespace, name, write path regex).</summary>
        public abstract (ResourceType Type, string? Namespace, string Name, string WritePath) WriterTarget { get; }

        /// <summary>Reads the cluster (straight, not through the proxy) and returns what is not whole: a half-written object, a broken backup.</summary>
        public abstract Task<IEnumerable<string>> WholeAsync(KubeApi api, CancellationToken ct);

        /// <summary>Returns how the cluster differs from what <paramref name="on"/>'s cmdlet intends (empty: converged).</summary>
        public abstract Task<IEnumerable<string>> IntendedAsync(KubeApi api, bool on, CancellationToken ct);

        /// <summary>Before the runs: learns the whole states (e.g. the specs a clean run writes, read straight from the API server).</summary>
        public abstract Task PrepareAsync(Infrastructure.CmdletHost host, KubeApi api, CancellationToken ct);

        /// <summary>Puts the scenario's objects back to the fixture's state (after the campaign).</summary>
        public abstract void Reset();

        protected static string? Str(JsonNode? node, params string[] path)
        {
            foreach (var p in path)
            {
                node = node?[p];
            }
            return node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        }
    }
}
