using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using CalicoAlp.Core.Namespaces;
using CalicoAlp.Core.Results;
using CalicoAlp.Tests.Infrastructure;
using Xunit;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>
    /// Add-/Remove-AlpNamespace through the change runner: labels, rolling restarts and allow-istio-pilot are all
    /// confirmed and validated (server-side dry run) before the first write; -WhatIf emits the results, writes nothing
    /// and reports each change the API server refuses; a write that RBAC forbids stops before the label is written.
    /// </summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class NamespaceChangeFlowTests : IDisposable
    {
        private const string PatchNamespaces = "- apiGroups: ['']\n  resources: [namespaces]\n  verbs: [patch]\n";
        private readonly ClusterFixture _cluster;
        private readonly WorkloadFactory _make;
        private readonly CmdletHost _host = new();
        private readonly string _prefix = "alpflow" + Guid.NewGuid().ToString("N")[..6];
        private readonly List<string> _namespaces = new();

        public NamespaceChangeFlowTests(ClusterFixture cluster)
        {
            _cluster = cluster;
            _make = new WorkloadFactory(cluster);
        }

        public void Dispose()
        {
            foreach (var ns in _namespaces) _make.DeleteNamespace(ns);
            _host.Dispose();
        }

        private string NewNamespace(string suffix, IDictionary<string, string>? labels = null)
        {
            var name = $"{_prefix}-{suffix}";
            _make.Namespace(name, labels);
            _namespaces.Add(name);
            return name;
        }

        private void DenyEgress(string ns) => _cluster.KubectlApply($@"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: default-deny-egress, namespace: {ns}}}
spec: {{podSelector: {{}}, policyTypes: [Egress]}}
");

        private Hashtable Admin(string ns) => new() { ["Kubeconfig"] = _cluster.Kubeconfig, ["Context"] = "admin", ["Name"] = ns };

        private static Hashtable As(RestrictedUser user, string ns) => new() { ["Kubeconfig"] = user.Kubeconfig, ["Context"] = RestrictedUser.ContextName, ["Name"] = ns };

        private string? Label(string ns) => _cluster.GetJson("get", "namespace", ns)?["metadata"]?["labels"]?["istio-injection"]?.GetValue<string>();

        private string? RestartedAt(string ns, string deployment) =>
            _cluster.GetJson("-n", ns, "get", "deployment", deployment)!["spec"]!["template"]!["metadata"]!["annotations"]?["kubectl.kubernetes.io/restartedAt"]?.GetValue<string>();

        private bool PilotPolicyExists(string ns) => _cluster.GetJson("-n", ns, "get", "networkpolicies.crd.projectcalico.org", "allow-istio-pilot") != null;

        [Fact]
        public void Add_WhatIf_emits_the_label_restart_and_pilot_policy_it_would_make_and_writes_nothing()
        {
            var ns = NewNamespace("addwhatif");
            _make.Deployment(ns, "web", 1);
            DenyEgress(ns);
            var p = Admin(ns);
            p["WhatIf"] = true;
            p["Restart"] = true;
            p["AllowIstioPilot"] = true;
            p["Verbose"] = true;
            var r = _host.Invoke("Add-AlpNamespace", p);
            r.AssertSuccess();
            var result = Assert.Single(r.OutputOf<AlpNamespaceResult>());
            Assert.True(result.WhatIf);
            Assert.Equal(ChangeAction.Updated, result.LabelAction);
            Assert.Equal(new[] { "Deployment/web" }, result.RestartedWorkloads);
            Assert.Contains("allow-istio-pilot would be created", result.Message, StringComparison.Ordinal);
            Assert.StartsWith("Blocked by", result.PilotEgress, StringComparison.Ordinal);
            // label, policy and restart were each sent to the server as a dry run
            Assert.Equal(3, r.Verbose.Count(v => v.StartsWith("Server-side dry run of", StringComparison.Ordinal) && v.EndsWith("accepted.", StringComparison.Ordinal)));
            Assert.Null(Label(ns));
            Assert.Null(RestartedAt(ns, "web"));
            Assert.False(PilotPolicyExists(ns));

            // A user who may label namespaces but not restart Deployments: the restart is refused, the rest is shown.
            using var user = new RestrictedUser(_cluster, RestrictedUser.ReadEverything + PatchNamespaces);
            var q = As(user, ns);
            q["WhatIf"] = true;
            q["Restart"] = true;
            var refused = _host.Invoke("Add-AlpNamespace", q);
            var partial = Assert.Single(refused.OutputOf<AlpNamespaceResult>());
            Assert.Equal((ChangeAction.Updated, true), (partial.LabelAction, partial.WhatIf));
            Assert.Empty(partial.RestartedWorkloads);
            var err = Assert.Single(refused.Errors);
            Assert.Equal(ErrorCategory.PermissionDenied, err.CategoryInfo.Category);
            Assert.Contains("may not patch deployments", err.Exception.Message, StringComparison.Ordinal);
            Assert.Null(Label(ns));
            Assert.Null(RestartedAt(ns, "web"));
        }

        [Fact]
        public void Add_stops_before_the_label_when_RBAC_forbids_the_restart()
        {
            var ns = NewNamespace("addrestart");
            _make.Deployment(ns, "web", 1);
            using var user = new RestrictedUser(_cluster, RestrictedUser.ReadEverything + PatchNamespaces);
            var p = As(user, ns);
            p["Restart"] = true;
            var r = _host.Invoke("Add-AlpNamespace", p);
            Assert.Empty(r.Output);
            var err = Assert.Single(r.Errors);
            Assert.Equal(ErrorCategory.PermissionDenied, err.CategoryInfo.Category);
            Assert.Contains("may not patch deployments", err.Exception.Message, StringComparison.Ordinal);
            Assert.Null(Label(ns)); // the label it was allowed to write was not written
            Assert.Null(RestartedAt(ns, "web"));
        }

        [Fact]
        public void Add_stops_before_the_label_when_RBAC_forbids_allow_istio_pilot()
        {
            var ns = NewNamespace("addpilot");
            _make.Deployment(ns, "web", 1);
            DenyEgress(ns);
            using var user = new RestrictedUser(_cluster, RestrictedUser.ReadEverything + PatchNamespaces);
            var p = As(user, ns);
            p["AllowIstioPilot"] = true;
            var r = _host.Invoke("Add-AlpNamespace", p);
            Assert.Empty(r.Output);
            var err = Assert.Single(r.Errors);
            Assert.Equal(ErrorCategory.PermissionDenied, err.CategoryInfo.Category);
            Assert.Contains("may not create networkpolicies.crd.projectcalico.org 'allow-istio-pilot'", err.Exception.Message, StringComparison.Ordinal);
            Assert.Null(Label(ns));
            Assert.False(PilotPolicyExists(ns));
        }

        [Fact]
        public void Remove_WhatIf_emits_the_label_change_and_restarts_and_deletes_nothing()
        {
            var ns = NewNamespace("rmwhatif", new Dictionary<string, string> { ["istio-injection"] = "enabled" });
            _make.Deployment(ns, "web", 1, "istio-proxy", "dikastes");
            _make.Pod(ns, "debug", new[] { "istio-proxy" });
            var p = Admin(ns);
            p["WhatIf"] = true;
            p["Restart"] = true;
            p["Force"] = true; // also delete the bare pod
            var r = _host.Invoke("Remove-AlpNamespace", p);
            r.AssertSuccess();
            var result = Assert.Single(r.OutputOf<AlpNamespaceResult>());
            Assert.Equal((ChangeAction.Updated, true), (result.LabelAction, result.WhatIf));
            Assert.Equal(new[] { "Deployment/web", "Pod/debug" }, result.RestartedWorkloads.OrderBy(x => x, StringComparer.Ordinal));
            Assert.Equal("enabled", Label(ns));
            Assert.Null(RestartedAt(ns, "web"));
            Assert.NotNull(_cluster.GetJson("-n", ns, "get", "pod", "debug")); // a dry-run delete deletes nothing

            using var user = new RestrictedUser(_cluster, RestrictedUser.ReadEverything);
            var q = As(user, ns);
            q["WhatIf"] = true;
            var refused = _host.Invoke("Remove-AlpNamespace", q);
            var err = Assert.Single(refused.Errors);
            Assert.Contains("may not patch namespaces", err.Exception.Message, StringComparison.Ordinal);
            Assert.Equal(ChangeAction.Unchanged, Assert.Single(refused.OutputOf<AlpNamespaceResult>()).LabelAction);
            Assert.Equal("enabled", Label(ns));
        }

        [Fact]
        public void Remove_stops_before_the_label_when_RBAC_forbids_the_restart()
        {
            var ns = NewNamespace("rmrestart", new Dictionary<string, string> { ["istio-injection"] = "enabled" });
            _make.Deployment(ns, "web", 1, "istio-proxy", "dikastes");
            using var user = new RestrictedUser(_cluster, RestrictedUser.ReadEverything + PatchNamespaces);
            var p = As(user, ns);
            p["Restart"] = true;
            var r = _host.Invoke("Remove-AlpNamespace", p);
            Assert.Empty(r.Output);
            Assert.Contains("may not patch deployments", Assert.Single(r.Errors).Exception.Message, StringComparison.Ordinal);
            Assert.Equal("enabled", Label(ns));
            Assert.Null(RestartedAt(ns, "web"));
        }
    }
}
