using System;
using System.Collections;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Kube;
using CalicoAlp.Tests.Infrastructure;

namespace CalicoAlp.Tests.Reliability
{
    /// <summary>Add-/Remove-AlpNamespace on one namespace of its own. Whole: istio-injection is 'enabled' or absent.</summary>
    public sealed class NamespaceScenario : CampaignScenario
    {
        private readonly ClusterFixture _cluster;
        private readonly string _name = "alpfault-" + Guid.NewGuid().ToString("N")[..6];

        public string Name => _name;

        public NamespaceScenario(ClusterFixture cluster) => _cluster = cluster;

        public override string OnCmdlet => "Add-AlpNamespace";
        public override string OffCmdlet => "Remove-AlpNamespace";

        public override Hashtable Parameters(bool on, string kubeconfig) => new() { ["Kubeconfig"] = kubeconfig, ["Context"] = "admin", ["Name"] = _name };

        public override (ResourceType Type, string? Namespace, string Name, string WritePath) WriterTarget =>
            (ResourceType.Namespace, null, _name, $"^/api/v1/namespaces/{_name}$");

        public override Task PrepareAsync(CmdletHost host, KubeApi api, CancellationToken ct)
        {
            _cluster.KubectlOk("create", "namespace", _name);
            return Task.CompletedTask;
        }

        private async Task<string?> InjectionAsync(KubeApi api, CancellationToken ct) =>
            Str(await api.GetAsync(ResourceType.Namespace, null, _name, ct), "metadata", "labels", "istio-injection");

        public override async Task<IEnumerable<string>> WholeAsync(KubeApi api, CancellationToken ct)
        {
            var label = await InjectionAsync(api, ct);
            return label is null or "enabled" ? Array.Empty<string>() : new[] { $"istio-injection '{label}'" };
        }

        public override async Task<IEnumerable<string>> IntendedAsync(KubeApi api, bool on, CancellationToken ct)
        {
            var label = await InjectionAsync(api, ct);
            return (label == "enabled") == on ? Array.Empty<string>() : new[] { $"{(on ? "added" : "removed")}, but istio-injection is '{label}'" };
        }

        public override void Reset() => _cluster.Kubectl("delete", "namespace", _name, "--ignore-not-found", "--wait=false");
    }
}
