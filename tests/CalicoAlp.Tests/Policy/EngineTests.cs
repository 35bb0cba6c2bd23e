using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Loading;
using CalicoAlp.Core.Policy.Model;
using Xunit;

namespace CalicoAlp.Tests.Policy
{
    public class EngineTests
    {
        private static readonly Dictionary<string, string> NoLabels = new();

        [Theory]
        [InlineData("spiffe://cluster.local/ns/web/sa/frontend", true, "web", "frontend")]
        [InlineData("spiffe://other.domain/ns/a/sa/b", true, "a", "b")]
        [InlineData("spiffe://cluster.local/ns/web/sa/frontend/", false, "", "")]
        [InlineData("spiffe://cluster.local/ns/web/sa/", false, "", "")]
        [InlineData("spiffe://cluster.local/NS/web/sa/x", false, "", "")]
        [InlineData("spiffe:///ns/web/sa/x", false, "", "")]
        [InlineData("http://cluster.local/ns/web/sa/x", false, "", "")]
        [InlineData("spiffe://cluster.local/ns/web/sa/x/extra", false, "", "")]
        public void Spiffe_principal_parsing(string principal, bool ok, string ns, string sa)
        {
            Assert.Equal(ok, SpiffeIdentity.TryParse(principal, out var n, out var s));
            Assert.Equal(ns, n);
            Assert.Equal(sa, s);
        }

        private const string Policies = @"apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: api, namespace: web}
spec:
  selector: app == 'api'
  ingress:
  - action: Allow
    source: {serviceAccounts: {names: [frontend]}}
    http: {methods: [GET], paths: [{prefix: /v1}]}
  - action: Allow
    source: {selector: app == 'probe'}
    destination: {ports: [9090]}
    protocol: TCP
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: envoy-egress}
spec:
  selector: app == 'api'
  types: [Egress]
  egress:
  - action: Allow
    protocol: TCP
    destination:
      namespaceSelector: projectcalico.org/name == 'istio-system'
      selector: istio == 'pilot'
      ports: ['15010:15012']
";

        private static AlpRequest Request(string principal, string method, string path, int port = 8080) => new()
        {
            SourcePrincipal = principal,
            SourceIP = IPAddress.Parse("10.0.0.1"),
            SourcePort = 40000,
            SourceWorkload = new WorkloadInfo("web", "frontend", new Dictionary<string, string> { ["app"] = "fe" }),
            DestinationIP = IPAddress.Parse("10.0.0.2"),
            DestinationPort = port,
            DestinationWorkload = new WorkloadInfo("web", "api", new Dictionary<string, string> { ["app"] = "api" }),
            Method = method,
            Path = path,
        };

        [Fact]
        public void Allows_and_reports_deciding_policy_rule_and_trace()
        {
            var engine = PolicyEngine.Compile(PolicyLoader.LoadText(Policies, "p.yaml"));
            var trace = new List<TraceStep>();
            var d = engine.Evaluate(Request("spiffe://cluster.local/ns/web/sa/frontend", "GET", "/v1/items?x=1"), trace);
            Assert.Equal(Verdict.Allow, d.Verdict);
            Assert.Equal(CheckStatus.OK, d.Status);
            Assert.Equal("default", d.Tier);
            Assert.Equal("web/api", d.Policy);
            Assert.Equal(0, d.RuleIndex);
            Assert.Equal(RuleAction.Allow, d.Action);
            Assert.Contains(trace, s => s.Kind == TraceStepKind.Rule && s.Outcome == "allow");

            trace.Clear();
            var denied = engine.Evaluate(Request("spiffe://cluster.local/ns/web/sa/frontend", "POST", "/v1/items"), trace);
            Assert.Equal(Verdict.Deny, denied.Verdict);
            Assert.Equal(DecisionReason.TierDefaultAction, denied.Reason);
            Assert.Contains(trace, s => s.Detail.Contains("method 'POST' not in http.methods [GET]", StringComparison.Ordinal));
            Assert.Contains(trace, s => s.Detail.Contains("not in the IP set", StringComparison.Ordinal));
        }

        [Fact]
        public void Relative_request_path_is_invalid_argument()
        {
            var engine = PolicyEngine.Compile(PolicyLoader.LoadText(Policies, "p.yaml"));
            var d = engine.Evaluate(Request("spiffe://cluster.local/ns/web/sa/frontend", "GET", "v1/items"));
            Assert.Equal(CheckStatus.INVALID_ARGUMENT, d.Status);
            Assert.Equal(Verdict.Deny, d.Verdict);
        }

        [Fact]
        public void Malformed_principal_passes_identity_checks_except_in_classic()
        {
            var set = PolicyLoader.LoadText(Policies, "p.yaml");
            var req = Request("spiffe://cluster.local/frontend", "GET", "/v1");
            Assert.Equal(Verdict.Allow, PolicyEngine.Compile(set).Evaluate(req).Verdict);
            var classic = PolicyEngine.Compile(set, CalicoBehavior.Parse("3.29.2")).Evaluate(req);
            Assert.Equal(Verdict.Deny, classic.Verdict);
            Assert.Equal(DecisionReason.MalformedPrincipal, classic.Reason);
        }

        [Fact]
        public void Bad_method_and_bad_version_are_argument_errors()
        {
            var engine = PolicyEngine.Compile(PolicySet.Empty);
            var ex = Assert.Throws<AlpException>(() => engine.Prepare(Request("", "GE T", "/")));
            Assert.Equal("InvalidMethod", ex.ErrorId);
            Assert.Equal(AlpErrorKind.InvalidArgument, ex.Kind);
            var ex2 = Assert.Throws<AlpException>(() => CalicoBehavior.Parse("banana"));
            Assert.Equal("InvalidCalicoVersion", ex2.ErrorId);
        }

        [Theory]
        [InlineData(15010, "Allow")]
        [InlineData(15011, "Allow")]
        [InlineData(15012, "Allow")]
        [InlineData(15014, "Deny")]
        public void Egress_from_envoy_to_istio_pilot(int port, string expect)
        {
            var engine = PolicyEngine.Compile(PolicyLoader.LoadText(Policies, "p.yaml"));
            var req = new AlpRequest
            {
                Direction = TrafficDirection.Egress,
                SourceIP = IPAddress.Parse("10.0.0.2"),
                SourcePort = 41000,
                SourceWorkload = new WorkloadInfo("web", "api", new Dictionary<string, string> { ["app"] = "api" }),
                DestinationIP = IPAddress.Parse("10.9.0.5"),
                DestinationPort = port,
                DestinationWorkload = new WorkloadInfo("istio-system", "istio-pilot-service-account", new Dictionary<string, string> { ["istio"] = "pilot" }),
            };
            var d = engine.Evaluate(req);
            Assert.Equal(expect, d.Verdict.ToString());
            if (expect == "Allow") Assert.Equal("envoy-egress", d.Policy);
        }

        [Fact]
        public void No_local_endpoint_is_internal_from_v3_30()
        {
            var req = Request("", "GET", "/") with { DestinationWorkload = null };
            Assert.Equal(CheckStatus.INTERNAL, PolicyEngine.Compile(PolicySet.Empty).Evaluate(req).Status);
            Assert.Equal(CheckStatus.PERMISSION_DENIED, PolicyEngine.Compile(PolicySet.Empty, CalicoBehavior.Parse("v3.28.0")).Evaluate(req).Status);
        }

        [Fact]
        public void Kubernetes_network_policy_is_enforced_with_implicit_profiles()
        {
            const string knp = @"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-fe, namespace: web}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: fe}}}]
    ports: [{port: 8080}]
";
            var engine = PolicyEngine.Compile(PolicyLoader.LoadText(knp, "knp.yaml"));
            var ok = engine.Evaluate(Request("", null!, null!));
            Assert.Equal(Verdict.Allow, ok.Verdict);
            Assert.Equal("web/knp.default.only-fe", ok.Policy);
            var wrongPort = engine.Evaluate(Request("", null!, null!, port: 9999));
            Assert.Equal(Verdict.Deny, wrongPort.Verdict);
            var external = engine.Evaluate(Request("", null!, null!) with { SourceWorkload = null });
            Assert.Equal(Verdict.Deny, external.Verdict);
            // Another pod in the namespace, not selected by the policy: kns.web profile allows.
            var other = engine.Evaluate(Request("", null!, null!) with
            {
                DestinationWorkload = new WorkloadInfo("web", "db", new Dictionary<string, string> { ["app"] = "db" }),
            });
            Assert.Equal(Verdict.Allow, other.Verdict);
            Assert.Equal("kns.web", other.Profile);
        }

        [Theory]
        [InlineData(null, "Allow")]
        [InlineData("3.31.2", "Deny")]
        public void Staged_kubernetes_policy_is_enforced_only_where_staged_policies_were(string? version, string expect)
        {
            const string yaml = @"apiVersion: projectcalico.org/v3
kind: StagedKubernetesNetworkPolicy
metadata: {name: lockdown, namespace: web}
spec:
  podSelector: {}
  policyTypes: [Ingress]
";
            var set = PolicyLoader.LoadText(yaml, "staged.yaml");
            Assert.Equal("knp.default.lockdown", set.Policies[0].Name);
            Assert.True(set.Policies[0].IsStaged);
            var d = PolicyEngine.Compile(set, CalicoBehavior.Parse(version)).Evaluate(Request("", "GET", "/"));
            Assert.Equal(expect, d.Verdict.ToString());
        }

        [Theory]
        [InlineData("protocol: SCTP", 132, null, "Allow")]
        [InlineData("protocol: SCTP", 132, "3.30.4", "Deny")]
        [InlineData("protocol: 132", 132, "3.30.4", "Deny")]
        [InlineData("protocol: 132", 132, "3.31.0", "Allow")]
        [InlineData("protocol: UDP", 17, "3.30.4", "Allow")]
        [InlineData("notProtocol: TCP", 6, null, "Deny")]
        [InlineData("notProtocol: ICMP", 6, null, "Allow")] // an unknown name such as "bogus" is now refused in files (CalicoValidationTests)
        public void Protocol_names_and_numbers_per_release(string criterion, int requestProtocol, string? version, string expect)
        {
            var yaml = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec:\n  ingress:\n  - action: Allow\n    " + criterion + "\n";
            var engine = PolicyEngine.Compile(PolicyLoader.LoadText(yaml, "p.yaml"), CalicoBehavior.Parse(version));
            var d = engine.Evaluate(Request("", null!, null!) with { Protocol = requestProtocol });
            Assert.Equal(expect, d.Verdict.ToString());
        }

        [Theory]
        [InlineData(null, "/pub", "/public", "Deny")]
        [InlineData("3.30.0", "/pub", "/public", "Allow")]
        [InlineData("3.31.6", "/pub", "/public", "Deny")]
        [InlineData("3.29.0", "/admin", "/public/../admin", "Deny")]
        [InlineData(null, "/admin", "/public/../admin", "Allow")]
        public void Path_prefix_semantics_per_release(string? version, string prefix, string path, string expect)
        {
            var yaml = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec:\n  ingress:\n  - action: Allow\n    http: {paths: [{prefix: " + prefix + "}]}\n";
            var engine = PolicyEngine.Compile(PolicyLoader.LoadText(yaml, "p.yaml"), CalicoBehavior.Parse(version));
            Assert.Equal(expect, engine.Evaluate(Request("", "GET", path)).Verdict.ToString());
        }

        [Theory]
        [InlineData("3.29.0", 8080, "Allow")]
        [InlineData("3.29.0", 9090, "Deny")]
        [InlineData(null, 8080, "Deny")]
        public void Named_ports_match_only_in_classic(string? version, int port, string expect)
        {
            const string yaml = @"apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: named}
spec:
  selector: app == 'api'
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: [web]}
---
apiVersion: v1
kind: Pod
metadata: {name: api-1, namespace: web, labels: {app: api}}
spec:
  serviceAccountName: api
  containers:
  - name: c
    ports: [{name: web, containerPort: 8080}, {containerPort: 9090}]
status: {podIP: 10.0.0.2}
";
            var set = PolicyLoader.LoadText(yaml, "named.yaml");
            var pod = set.Pods.Single();
            Assert.Equal(new NamedPort("web", "tcp", 8080), pod.NamedPorts.Single());
            var engine = PolicyEngine.Compile(set, CalicoBehavior.Parse(version));
            var d = engine.Evaluate(Request("", null!, null!, port) with
            {
                DestinationWorkload = new WorkloadInfo(pod.Namespace, pod.ServiceAccount, pod.Labels) { NamedPorts = pod.NamedPorts },
            });
            Assert.Equal(expect, d.Verdict.ToString());
        }

        [Fact]
        public void Evaluating_a_prepared_request_allocates_nothing()
        {
            var engine = PolicyEngine.Compile(PolicyLoader.LoadText(Policies, "p.yaml"));
            var allow = engine.Prepare(Request("spiffe://cluster.local/ns/web/sa/frontend", "GET", "/v1/x"));
            var deny = engine.Prepare(Request("spiffe://cluster.local/ns/web/sa/other", "DELETE", "/v2/../v1/%7e"));
            var tcp = engine.Prepare(Request("", null!, null!, port: 9090));
            for (int i = 0; i < 10; i++)
            {
                engine.Evaluate(allow);
                engine.Evaluate(deny);
                engine.Evaluate(tcp);
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            int allowed = 0;
            for (int i = 0; i < 1000; i++)
            {
                if (engine.Evaluate(allow).Verdict == Verdict.Allow) allowed++;
                if (engine.Evaluate(deny).Verdict == Verdict.Allow) allowed++;
                if (engine.Evaluate(tcp).Verdict == Verdict.Allow) allowed++;
            }
            long after = GC.GetAllocatedBytesForCurrentThread();
            Assert.Equal(2000, allowed); // allow, and the plain TCP check from the frontend workload (nil HTTP matches)
            Assert.Equal(0, after - before);
        }

        [Fact]
        public void Http_path_normalisation()
        {
            Assert.Equal("/admin", HttpPath.Normalize("/public/../admin"));
            Assert.Equal("/foo", HttpPath.Normalize("/foo?x#y"));
            Assert.Equal("/a/b", HttpPath.Normalize("//a/./b/"));
            Assert.Equal("/a/b", HttpPath.Normalize("/a;x=1/b;y"));
            Assert.Equal("/a/b", HttpPath.Normalize("/a\\b"));
            Assert.Equal("/~x", HttpPath.Normalize("/%7ex"));
            Assert.Null(HttpPath.Normalize("/a/%252e%252e/b"));
            Assert.Null(HttpPath.Normalize("/a%00"));
            Assert.Null(HttpPath.Normalize("/a%zz"));
            Assert.True(HttpPath.SegmentPrefixMatch("/pub/x", "/pub"));
            Assert.False(HttpPath.SegmentPrefixMatch("/public", "/pub"));
            Assert.True(HttpPath.SegmentPrefixMatch("/anything", "/"));
        }
    }
}
