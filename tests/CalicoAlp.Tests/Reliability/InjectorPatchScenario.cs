using System;
using System.Collections;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Kube;
using CalicoAlp.Tests.Infrastructure;
using CalicoAlp.Tests.Injector;

namespace CalicoAlp.Tests.Reliability
{
    /// <summary>
    /// Set-/Remove-IstioInjectorPatch (live) on istio-system/istio-sidecar-injector. Whole: the config template is exactly
    /// the stock one or exactly the one a clean Set writes (so never two dikastes containers, never a half-edited
    /// template), values untouched, and the backup (once made) holds the stock data.
    /// </summary>
    public sealed class InjectorPatchScenario : CampaignScenario
    {
        private const string Ns = "istio-system";
        private const string Injector = "istio-sidecar-injector";
        private readonly ClusterFixture _cluster;
        private string _stock = "", _values = "", _patched = "";

        public InjectorPatchScenario(ClusterFixture cluster) => _cluster = cluster;

        public override string OnCmdlet => "Set-IstioInjectorPatch";
        public override string OffCmdlet => "Remove-IstioInjectorPatch";

        public override Hashtable Parameters(bool on, string kubeconfig) => new() { ["Kubeconfig"] = kubeconfig, ["Context"] = "admin", ["Confirm"] = false };

        public override (ResourceType Type, string? Namespace, string Name, string WritePath) WriterTarget =>
            (ResourceType.ConfigMap, Ns, Injector, $"/namespaces/{Ns}/configmaps/{Injector}$");

        public override async Task PrepareAsync(CmdletHost host, KubeApi api, CancellationToken ct)
        {
            InjectorLiveTests.Restore(_cluster);
            var cm = await api.GetAsync(ResourceType.ConfigMap, Ns, Injector, ct) ?? throw new InvalidOperationException("no injector ConfigMap");
            _stock = Str(cm, "data", "config")!;
            _values = Str(cm, "data", "values")!;
            host.Invoke(OnCmdlet, Parameters(true, _cluster.Kubeconfig)).AssertSuccess();
            _patched = Str(await api.GetAsync(ResourceType.ConfigMap, Ns, Injector, ct), "data", "config")!;
            if (_patched == _stock) throw new InvalidOperationException("clean Set did not change the template");
        }

        public override async Task<IEnumerable<string>> WholeAsync(KubeApi api, CancellationToken ct)
        {
            var problems = new List<string>();
            var cm = await api.GetAsync(ResourceType.ConfigMap, Ns, Injector, ct);
            var config = Str(cm, "data", "config");
            var containers = config == null ? 0 : Count(config, "- name: dikastes\n");
            if (containers > 1) problems.Add($"{containers} dikastes containers in the template");
            if (config != _stock && config != _patched) problems.Add("injector template half-edited: neither the stock nor the patched template");
            if (Str(cm, "data", "values") != _values) problems.Add("injector values changed");
            var backup = await api.GetAsync(ResourceType.ConfigMap, Ns, Injector + "-calicoalp-backup", ct);
            if (backup != null && (Str(backup, "data", "config") != _stock || Str(backup, "data", "values") != _values)) problems.Add("backup does not hold the stock data");
            return problems;
        }

        public override async Task<IEnumerable<string>> IntendedAsync(KubeApi api, bool on, CancellationToken ct)
        {
            var problems = new List<string>();
            var config = Str(await api.GetAsync(ResourceType.ConfigMap, Ns, Injector, ct), "data", "config");
            if (on && config != _patched) problems.Add("Set, but the template is not the patched one");
            if (!on && config != _stock) problems.Add("Removed, but the template is not the stock one");
            if (on && await api.GetAsync(ResourceType.ConfigMap, Ns, Injector + "-calicoalp-backup", ct) == null) problems.Add("Set, but no backup");
            return problems;
        }

        public override void Reset() => InjectorLiveTests.Restore(_cluster);

        private static int Count(string text, string what)
        {
            var n = 0;
            for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
            return n;
        }
    }
}
