using System;
using System.Collections;
using System.Collections.Generic;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Kube;
using CalicoAlp.Tests.Cluster;
using CalicoAlp.Tests.Infrastructure;

namespace CalicoAlp.Tests.Reliability
{
    /// <summary>
    /// Enable-/Disable-CalicoAppLayerPolicy: FelixConfiguration 'default' and the three authorization-service objects.
    /// Whole: the prefix is unset or ours, each mesh object absent or exactly the spec a clean Enable writes.
    /// </summary>
    public sealed class AppLayerPolicyScenario : CampaignScenario
    {
        private static readonly (ResourceType Type, string Name)[] Mesh =
        {
            (ResourceType.ServiceEntry, "dikastes"), (ResourceType.DestinationRule, "dikastes-mtls"), (ResourceType.EnvoyFilter, "ext-authz"),
        };

        private readonly ClusterFixture _cluster;
        private readonly Dictionary<string, JsonNode?> _golden = new();

        public AppLayerPolicyScenario(ClusterFixture cluster) => _cluster = cluster;

        public override string OnCmdlet => "Enable-CalicoAppLayerPolicy";
        public override string OffCmdlet => "Disable-CalicoAppLayerPolicy";

        public override Hashtable Parameters(bool on, string kubeconfig)
        {
            var p = new Hashtable { ["Kubeconfig"] = kubeconfig, ["Context"] = "admin" };
            if (!on) p["Force"] = true; // High impact: no prompt in a runbook
            return p;
        }

        public override (ResourceType Type, string? Namespace, string Name, string WritePath) WriterTarget =>
            (ResourceType.FelixConfiguration, null, AlpConstants.FelixConfigurationName, "felixconfigurations/default$");

        /// <summary>The specs a clean Enable writes (read after one, straight to the API server).</summary>
        public override async Task PrepareAsync(CmdletHost host, KubeApi api, CancellationToken ct)
        {
            AlpClusterState.Reset(_cluster);
            host.Invoke(OnCmdlet, Parameters(true, _cluster.Kubeconfig)).AssertSuccess();
            foreach (var (type, name) in Mesh)
            {
                var obj = await api.GetAsync(type, "istio-system", name, ct) ?? throw new InvalidOperationException($"clean Enable did not create {type.Kind} {name}");
                _golden[type.Kind] = obj["spec"]?.DeepClone();
            }
        }

        public override async Task<IEnumerable<string>> WholeAsync(KubeApi api, CancellationToken ct)
        {
            var problems = new List<string>();
            var felix = await api.GetAsync(ResourceType.FelixConfiguration, null, AlpConstants.FelixConfigurationName, ct);
            var prefix = Str(felix, "spec", "policySyncPathPrefix");
            if (felix == null) problems.Add("FelixConfiguration 'default' missing");
            else if (prefix != null && prefix != AlpConstants.DefaultPolicySyncPathPrefix) problems.Add($"policySyncPathPrefix '{prefix}'");
            foreach (var (type, name) in Mesh)
            {
                var obj = await api.GetAsync(type, "istio-system", name, ct);
                if (obj == null) continue;
                if (!JsonNode.DeepEquals(obj["spec"], _golden[type.Kind])) problems.Add($"{type.Kind} {name} half-written: spec differs from Enable's");
                if (Str(obj, "metadata", "labels", AlpConstants.ManagedByLabel) != AlpConstants.ManagedByValue) problems.Add($"{type.Kind} {name} without the managed-by label");
            }
            return problems;
        }

        public override async Task<IEnumerable<string>> IntendedAsync(KubeApi api, bool on, CancellationToken ct)
        {
            var problems = new List<string>();
            var felix = await api.GetAsync(ResourceType.FelixConfiguration, null, AlpConstants.FelixConfigurationName, ct);
            var prefix = Str(felix, "spec", "policySyncPathPrefix");
            if (on && prefix != AlpConstants.DefaultPolicySyncPathPrefix) problems.Add($"enabled, but policySyncPathPrefix is '{prefix}'");
            if (!on && prefix != null) problems.Add($"disabled, but policySyncPathPrefix is '{prefix}'");
            if (!on && Str(felix, "metadata", "annotations", AlpConstants.PreviousPrefixAnnotation) != null) problems.Add("disabled, but the previous-prefix annotation is left");
            foreach (var (type, name) in Mesh)
            {
                var present = await api.GetAsync(type, "istio-system", name, ct) != null;
                if (present != on) problems.Add($"{(on ? "enabled" : "disabled")}, but {type.Kind} {name} is {(present ? "present" : "absent")}");
            }
            return problems;
        }

        public override void Reset()
        {
            AlpClusterState.Reset(_cluster);
            _cluster.Kubectl("label", "felixconfigurations.crd.projectcalico.org", "default", FaultCampaign.WriterLabel + "-");
        }
    }
}
