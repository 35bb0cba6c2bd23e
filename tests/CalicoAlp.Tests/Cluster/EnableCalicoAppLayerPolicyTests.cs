using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;
using CalicoAlp.Core.Results;
using CalicoAlp.Tests.Infrastructure;
using Xunit;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>Enable/Disable-CalicoAppLayerPolicy in-process against the real local API server; kubectl checks what was left.</summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class EnableCalicoAppLayerPolicyTests : IDisposable
    {
        private readonly ClusterFixture _cluster;
        private readonly CmdletHost _host = new();

        public EnableCalicoAppLayerPolicyTests(ClusterFixture cluster)
        {
            _cluster = cluster;
            AlpClusterState.Reset(cluster);
        }

        public void Dispose()
        {
            AlpClusterState.Reset(_cluster);
            _host.Dispose();
        }

        private Hashtable Params(string context = "admin") => new() { ["Kubeconfig"] = _cluster.Kubeconfig, ["Context"] = context };

        private string? FelixPrefix() => _cluster.GetJson("get", "felixconfigurations.crd.projectcalico.org", "default")?["spec"]?["policySyncPathPrefix"]?.GetValue<string>();

        [Fact]
        public void Enable_sets_the_prefix_and_creates_the_authorization_service()
        {
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
            r.AssertSuccess();
            var results = r.OutputOf<ResourceChange>().ToList();
            Assert.Equal(new[] { "FelixConfiguration", "ServiceEntry", "DestinationRule", "EnvoyFilter" }, results.Select(x => x.Kind));
            Assert.Equal(ChangeAction.Updated, results[0].Action);
            var change = Assert.Single(results[0].Changes);
            Assert.Equal("spec.policySyncPathPrefix", change.Path);
            Assert.Equal("\"/var/run/nodeagent\"", change.After);
            Assert.All(results.Skip(1), x => Assert.Equal(ChangeAction.Created, x.Action));
            Assert.All(results, x => Assert.Equal("admin", x.Context));
            Assert.All(results, x => Assert.Equal(_cluster.Kubeconfig, x.Kubeconfig));

            Assert.Equal("/var/run/nodeagent", FelixPrefix());
            var se = _cluster.GetJson("-n", "istio-system", "get", "serviceentries.networking.istio.io", "dikastes", "--show-managed-fields")!;
            Assert.Equal("unix:///var/run/dikastes/dikastes.sock", se["spec"]!["endpoints"]![0]!["address"]!.GetValue<string>());
            Assert.Equal("calicoalp", se["metadata"]!["labels"]!["app.kubernetes.io/managed-by"]!.GetValue<string>());
            Assert.Contains(se["metadata"]!["managedFields"]!.AsArray(), m => m!["manager"]!.GetValue<string>() == "calicoalp");
            var ef = _cluster.GetJson("-n", "istio-system", "get", "envoyfilters.networking.istio.io", "ext-authz")!;
            Assert.Equal("dikastes", ef["spec"]!["filters"]![1]!["filterConfig"]!["stat_prefix"]!.GetValue<string>());
            Assert.Equal("DISABLE", _cluster.GetJson("-n", "istio-system", "get", "destinationrules.networking.istio.io", "dikastes-mtls")!["spec"]!["trafficPolicy"]!["tls"]!["mode"]!.GetValue<string>());
        }

        [Fact]
        public void A_second_run_reports_Unchanged_and_writes_nothing()
        {
            _host.Invoke("Enable-CalicoAppLayerPolicy", Params()).AssertSuccess();
            var versionsBefore = ResourceVersions();
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
            r.AssertSuccess();
            Assert.All(r.OutputOf<ResourceChange>(), x => Assert.Equal(ChangeAction.Unchanged, x.Action));
            Assert.Equal(4, r.Output.Count);
            Assert.Equal(versionsBefore, ResourceVersions());
        }

        private string ResourceVersions() => string.Join(",",
            _cluster.GetJson("get", "felixconfigurations.crd.projectcalico.org", "default")!["metadata"]!["resourceVersion"]!.GetValue<string>(),
            _cluster.GetJson("-n", "istio-system", "get", "serviceentries.networking.istio.io", "dikastes")!["metadata"]!["resourceVersion"]!.GetValue<string>(),
            _cluster.GetJson("-n", "istio-system", "get", "envoyfilters.networking.istio.io", "ext-authz")!["metadata"]!["resourceVersion"]!.GetValue<string>());

        [Fact]
        public void WhatIf_changes_nothing_and_validates_with_a_server_side_dry_run()
        {
            var p = Params();
            p["WhatIf"] = true;
            p["Verbose"] = true;
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", p);
            r.AssertSuccess();
            var results = r.OutputOf<ResourceChange>().ToList();
            Assert.Equal(new[] { "FelixConfiguration", "ServiceEntry", "DestinationRule", "EnvoyFilter" }, results.Select(x => x.Kind));
            Assert.All(results, x => Assert.True(x.WhatIf));
            Assert.Equal(ChangeAction.Updated, results[0].Action);
            Assert.Null(FelixPrefix());
            Assert.Null(_cluster.GetJson("-n", "istio-system", "get", "serviceentries.networking.istio.io", "dikastes"));
            Assert.Equal(4, r.Verbose.Count(v => v.StartsWith("Server-side dry run of", StringComparison.Ordinal) && v.EndsWith("accepted.", StringComparison.Ordinal)));
            Assert.Contains(r.Verbose, v => v.Contains("dryRun=All", StringComparison.Ordinal));
        }

        [Fact]
        public void An_existing_object_with_a_different_spec_is_updated_in_place()
        {
            _cluster.KubectlApply(@"
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: dikastes-mtls, namespace: istio-system, labels: {team: mesh}}
spec:
  host: dikastes.calico.cluster.local
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
");
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
            r.AssertSuccess();
            var dr = r.OutputOf<ResourceChange>().Single(x => x.Kind == "DestinationRule");
            Assert.Equal(ChangeAction.Updated, dr.Action);
            Assert.Contains(dr.Changes, c => c.Path == "spec.trafficPolicy.tls.mode" && c.Before == "\"ISTIO_MUTUAL\"" && c.After == "\"DISABLE\"");
            var live = _cluster.GetJson("-n", "istio-system", "get", "destinationrules.networking.istio.io", "dikastes-mtls")!;
            Assert.Equal("DISABLE", live["spec"]!["trafficPolicy"]!["tls"]!["mode"]!.GetValue<string>());
            Assert.Equal("mesh", live["metadata"]!["labels"]!["team"]!.GetValue<string>()); // other metadata kept
        }

        [Fact]
        public void Disable_restores_the_previous_prefix_and_deletes_the_objects()
        {
            _cluster.KubectlOk("patch", "felixconfigurations.crd.projectcalico.org", "default", "--type=merge", "-p", "{\"spec\":{\"policySyncPathPrefix\":\"/var/run/custom\"}}");
            _host.Invoke("Enable-CalicoAppLayerPolicy", Params()).AssertSuccess();
            Assert.Equal("/var/run/nodeagent", FelixPrefix());

            var p = Params();
            p["Force"] = true;
            var r = _host.Invoke("Disable-CalicoAppLayerPolicy", p);
            r.AssertSuccess();
            var results = r.OutputOf<ResourceChange>().ToList();
            Assert.Equal(new[] { "EnvoyFilter", "DestinationRule", "ServiceEntry", "FelixConfiguration" }, results.Select(x => x.Kind));
            Assert.All(results.Take(3), x => Assert.Equal(ChangeAction.Deleted, x.Action));
            Assert.Equal(ChangeAction.Updated, results[3].Action);
            Assert.Equal("/var/run/custom", FelixPrefix());
            Assert.Null(_cluster.GetJson("-n", "istio-system", "get", "envoyfilters.networking.istio.io", "ext-authz"));
            var annotations = _cluster.GetJson("get", "felixconfigurations.crd.projectcalico.org", "default")!["metadata"]!["annotations"];
            Assert.Null(annotations?["calicoalp.io/previous-policy-sync-path-prefix"]);

            // Undo is idempotent too, and a prefix CalicoAlp did not set is left alone.
            var again = _host.Invoke("Disable-CalicoAppLayerPolicy", p);
            again.AssertSuccess();
            Assert.All(again.OutputOf<ResourceChange>(), x => Assert.Equal(ChangeAction.Unchanged, x.Action));
            Assert.Equal("/var/run/custom", FelixPrefix());
        }

        [Fact]
        public void Disable_switches_off_a_prefix_set_by_hand_the_way_Calico_documents_it()
        {
            _cluster.KubectlOk("patch", "felixconfigurations.crd.projectcalico.org", "default", "--type=merge", "-p", "{\"spec\":{\"policySyncPathPrefix\":\"/var/run/nodeagent\"}}");
            var p = Params();
            p["Force"] = true;
            p["SkipAuthorizationService"] = true;
            var r = _host.Invoke("Disable-CalicoAppLayerPolicy", p);
            r.AssertSuccess();
            Assert.Equal(ChangeAction.Updated, Assert.Single(r.OutputOf<ResourceChange>()).Action);
            Assert.Null(FelixPrefix());
        }

        [Fact]
        public void Disable_leaves_a_foreign_object_alone_unless_forced()
        {
            _cluster.KubectlApply(@"
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: dikastes, namespace: istio-system}
spec:
  hosts: [dikastes.example.com]
  ports: [{name: grpc, protocol: grpc, number: 9}]
  resolution: STATIC
");
            var p = Params();
            p["Confirm"] = false;
            var r = _host.Invoke("Disable-CalicoAppLayerPolicy", p);
            r.AssertSuccess();
            var se = r.OutputOf<ResourceChange>().Single(x => x.Kind == "ServiceEntry");
            Assert.Equal(ChangeAction.Skipped, se.Action);
            Assert.Contains(r.Warnings, w => w.Contains("not created by CalicoAlp", StringComparison.Ordinal));
            Assert.NotNull(_cluster.GetJson("-n", "istio-system", "get", "serviceentries.networking.istio.io", "dikastes"));
        }

        [Fact]
        public void Creates_FelixConfiguration_default_when_it_is_absent()
        {
            var saved = _cluster.KubectlOk("get", "felixconfigurations.crd.projectcalico.org", "default", "-o", "yaml");
            try
            {
                _cluster.KubectlOk("delete", "felixconfigurations.crd.projectcalico.org", "default");
                var p = Params();
                p["SkipAuthorizationService"] = true;
                var r = _host.Invoke("Enable-CalicoAppLayerPolicy", p);
                r.AssertSuccess();
                var felix = Assert.Single(r.OutputOf<ResourceChange>());
                Assert.Equal(ChangeAction.Created, felix.Action);
                Assert.Equal("/var/run/nodeagent", FelixPrefix());
            }
            finally
            {
                _cluster.Kubectl("delete", "felixconfigurations.crd.projectcalico.org", "default", "--ignore-not-found");
                var cleaned = string.Join('\n', saved.Split('\n').Where(l => !l.TrimStart().StartsWith("resourceVersion:", StringComparison.Ordinal)
                                                                                && !l.TrimStart().StartsWith("uid:", StringComparison.Ordinal)));
                _cluster.KubectlApply(cleaned);
            }
        }

        [Fact]
        public void A_read_only_user_gets_a_clear_403_and_nothing_is_written()
        {
            AlpClusterState.GrantTestRoles(_cluster);
            try
            {
                var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params("viewer"));
                Assert.NotNull(r.Terminating);
                Assert.Equal("KubeForbidden,CalicoAlp.Cmdlets.EnableCalicoAppLayerPolicyCommand", r.Terminating!.FullyQualifiedErrorId);
                Assert.Equal(ErrorCategory.PermissionDenied, r.Terminating.CategoryInfo.Category);
                Assert.Contains("may not patch felixconfigurations.crd.projectcalico.org 'default'", r.Terminating.Exception.Message);
                Assert.Equal("felixconfigurations.crd.projectcalico.org/default", r.Terminating.TargetObject);
                Assert.Null(FelixPrefix());
            }
            finally
            {
                AlpClusterState.RevokeTestRoles(_cluster);
            }
        }

        [Fact]
        public void A_user_allowed_only_part_of_the_writes_leaves_the_cluster_unchanged()
        {
            AlpClusterState.GrantTestRoles(_cluster);
            try
            {
                var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params("noaccess"));
                Assert.NotNull(r.Terminating);
                Assert.Equal(ErrorCategory.PermissionDenied, r.Terminating!.CategoryInfo.Category);
                Assert.Contains("may not create serviceentries.networking.istio.io 'dikastes' in namespace 'istio-system'", r.Terminating.Exception.Message);
                Assert.Null(FelixPrefix()); // the Felix patch it was allowed to make was not made
            }
            finally
            {
                AlpClusterState.RevokeTestRoles(_cluster);
            }
        }

        [Fact]
        public void A_user_without_any_rights_gets_a_403_naming_the_read()
        {
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params("noaccess"));
            Assert.NotNull(r.Terminating);
            Assert.Equal(ErrorCategory.PermissionDenied, r.Terminating!.CategoryInfo.Category);
            Assert.Contains("may not get", r.Terminating.Exception.Message);
        }

        [Fact]
        public void Missing_mutual_tls_is_refused_unless_forced()
        {
            var saved = _cluster.KubectlOk("get", "meshpolicies.authentication.istio.io", "default", "-o", "yaml");
            try
            {
                _cluster.KubectlOk("delete", "meshpolicies.authentication.istio.io", "default");
                var r = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
                Assert.NotNull(r.Terminating);
                Assert.Equal("AlpPrerequisiteFailed,CalicoAlp.Cmdlets.EnableCalicoAppLayerPolicyCommand", r.Terminating!.FullyQualifiedErrorId);
                Assert.Equal(ErrorCategory.NotInstalled, r.Terminating.CategoryInfo.Category);
                Assert.Contains("mutual TLS is not enabled", r.Terminating.Exception.Message);
                Assert.Null(FelixPrefix());

                var p = Params();
                p["Force"] = true;
                var forced = _host.Invoke("Enable-CalicoAppLayerPolicy", p);
                forced.AssertSuccess();
                Assert.Contains(forced.Warnings, w => w.Contains("mutual TLS is not enabled", StringComparison.Ordinal));
                Assert.Equal("/var/run/nodeagent", FelixPrefix());
            }
            finally
            {
                var cleaned = string.Join('\n', saved.Split('\n').Where(l => !l.TrimStart().StartsWith("resourceVersion:", StringComparison.Ordinal)
                                                                                && !l.TrimStart().StartsWith("uid:", StringComparison.Ordinal)));
                _cluster.KubectlApply(cleaned);
            }
        }

        [Fact]
        public void A_prefix_other_than_the_driver_path_warns()
        {
            var p = Params();
            p["PolicySyncPathPrefix"] = "/var/run/other";
            p["SkipAuthorizationService"] = true;
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", p);
            r.AssertSuccess();
            Assert.Contains(r.Warnings, w => w.Contains("/var/run/nodeagent", StringComparison.Ordinal));
            Assert.Equal("/var/run/other", FelixPrefix());
        }

        [Fact]
        public void Verbose_logs_every_call_without_secrets()
        {
            var token = _cluster.Env.TryGetValue("ADMIN_TOKEN", out var t) ? t : throw new InvalidOperationException("ADMIN_TOKEN missing from env");
            var p = Params();
            p["Verbose"] = true;
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", p);
            r.AssertSuccess();
            Assert.Contains(r.Verbose, v => v.StartsWith("PATCH /apis/crd.projectcalico.org/v1/felixconfigurations/default", StringComparison.Ordinal));
            Assert.Contains(r.Verbose, v => v.Contains("Calico 3.12.3", StringComparison.Ordinal) && v.Contains("Istio 1.4.2", StringComparison.Ordinal));
            Assert.DoesNotContain(r.Verbose, v => v.Contains(token, StringComparison.Ordinal));
        }

        [Fact]
        public void Results_bind_by_property_name_into_the_next_command()
        {
            var first = _host.Invoke("Enable-CalicoAppLayerPolicy", Params());
            first.AssertSuccess();
            // The four results carry Context and Kubeconfig; piped into Disable they select the same cluster.
            var r = _host.Invoke("Disable-CalicoAppLayerPolicy", new Hashtable { ["Force"] = true }, first.Output.Take(1));
            r.AssertSuccess();
            Assert.Null(FelixPrefix());
        }
    }
}
