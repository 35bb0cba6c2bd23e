using System;
using System.IO;
using System.Linq;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Loading;
using CalicoAlp.Core.Policy.Model;
using Xunit;

namespace CalicoAlp.Tests.Policy
{
    public class LoaderTests
    {
        [Fact]
        public void Reads_multi_document_yaml_with_all_calico_kinds()
        {
            const string yaml = @"apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100, defaultAction: Pass}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.gnp}
spec:
  tier: security
  order: 10
  selector: app == 'web'
  namespaceSelector: team == 'a'
  ingress:
  - action: Allow
    protocol: TCP
    source: {serviceAccounts: {names: [frontend], selector: ""role == 'x'""}, nets: [10.0.0.0/8], notPorts: ['1000:2000']}
    destination: {ports: [80, '8000:8080', http]}
    http:
      methods: [GET]
      paths: [{prefix: /api}, {exact: /health}]
---
apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata: {name: staged, namespace: web}
spec: {selector: all(), egress: [{action: Deny}]}
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata: {name: kns.web}
spec: {ingress: [{action: Allow}]}
";
            var set = PolicyLoader.LoadText(yaml, "policies.yaml");
            Assert.Single(set.Tiers);
            Assert.Equal(RuleAction.Pass, set.Tiers[0].DefaultAction);
            Assert.Equal(2, set.Policies.Count);
            var gnp = set.Policies[0];
            Assert.Equal(PolicyKind.GlobalNetworkPolicy, gnp.Kind);
            Assert.Equal("security", gnp.Tier);
            Assert.Equal(10, gnp.Order);
            var rule = gnp.Ingress[0];
            Assert.Equal("tcp", rule.Protocol!.Name);
            Assert.Equal(new[] { "frontend" }, rule.Source.ServiceAccounts!.Names);
            Assert.Equal(new PortSpec(1000, 2000, null), rule.Source.NotPorts[0]);
            Assert.Equal("http", rule.Destination.Ports[2].Name);
            Assert.Equal("/api", rule.Http!.Paths[0].Prefix);
            var staged = set.Policies[1];
            Assert.Equal(PolicyKind.StagedNetworkPolicy, staged.Kind);
            Assert.Equal("web", staged.Namespace);
            Assert.Equal(new[] { PolicyType.Egress }, staged.EffectiveTypes);
            Assert.Equal("kns.web", set.Profiles.Single().Name);
            Assert.Equal(6, set.Policies[0].Location.Line);
        }

        [Fact]
        public void Converts_kubernetes_network_policy_as_calico_does()
        {
            const string yaml = @"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: api}}
    - namespaceSelector: {matchExpressions: [{key: team, operator: In, values: [a, b]}]}
    - ipBlock: {cidr: 192.168.0.0/16, except: [192.168.1.0/24]}
    ports:
    - {port: 5432}
    - {protocol: UDP, port: 9000, endPort: 9010}
";
            var p = PolicyLoader.LoadText(yaml, "knp.yaml").Policies.Single();
            Assert.Equal("knp.default.db", p.Name);
            Assert.Equal("prod", p.Namespace);
            Assert.Equal(PolicyKind.KubernetesNetworkPolicy, p.Kind);
            Assert.Equal("default", p.Tier);
            Assert.Equal(1000, p.Order);
            Assert.Equal("projectcalico.org/orchestrator == 'k8s' && app == 'db'", p.Selector);
            Assert.Equal(new[] { PolicyType.Ingress }, p.Types);
            Assert.Equal(6, p.Ingress.Count); // 3 peers x 2 ports
            var r0 = p.Ingress[0];
            Assert.Equal("projectcalico.org/orchestrator == 'k8s' && app == 'api'", r0.Source.Selector);
            Assert.Equal("tcp", r0.Protocol!.Name);
            Assert.Equal(5432, r0.Destination.Ports.Single().Min);
            var r3 = p.Ingress[3];
            Assert.Equal("udp", r3.Protocol!.Name);
            Assert.Equal("team in {'a', 'b'}", r3.Source.NamespaceSelector);
            Assert.Equal(new PortSpec(9000, 9010, null), r3.Destination.Ports.Single());
            var r4 = p.Ingress[4];
            Assert.Equal(new[] { "192.168.0.0/16" }, r4.Source.Nets);
            Assert.Equal(new[] { "192.168.1.0/24" }, r4.Source.NotNets);
        }

        [Fact]
        public void Reads_lists_crd_form_json_and_folders()
        {
            var dir = Path.Combine(Path.GetTempPath(), "calicoalp-loader-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path.Combine(dir, "sub"));
            try
            {
                File.WriteAllText(Path.Combine(dir, "a.yaml"), @"apiVersion: v1
kind: List
items:
- apiVersion: crd.projectcalico.org/v1
  kind: NetworkPolicy
  metadata: {name: default.allow-web, namespace: web}
  spec: {tier: default, selector: all(), ingress: [{action: Allow}]}
- apiVersion: v1
  kind: Namespace
  metadata: {name: web, labels: {team: a}}
");
                File.WriteAllText(Path.Combine(dir, "sub", "b.json"),
                    "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"fe\",\"namespace\":\"web\",\"labels\":{\"role\":\"x\"}}}");
                File.WriteAllText(Path.Combine(dir, "sub", "c.yml"), @"apiVersion: v1
kind: Pod
metadata: {name: fe-1, namespace: web, labels: {app: fe}}
spec: {serviceAccountName: fe}
status: {podIP: 10.1.2.3}
");
                File.WriteAllText(Path.Combine(dir, "ignored.txt"), "not: [valid");
                var set = PolicyLoader.LoadPath(dir);
                Assert.Equal("allow-web", set.Policies.Single().Name);
                Assert.Equal("a", set.Namespaces.Single().Labels["team"]);
                Assert.Equal("x", set.ServiceAccounts.Single().Labels["role"]);
                var pod = set.Pods.Single();
                Assert.Equal("fe", pod.ServiceAccount);
                Assert.Equal("10.1.2.3", pod.IPs.Single());
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }

        [Fact]
        public void Malformed_yaml_names_file_and_line()
        {
            var ex = Assert.Throws<AlpException>(() => PolicyLoader.LoadText("apiVersion: v1\nkind: Namespace: x\nmetadata: {}\n", "bad.yaml"));
            Assert.Equal("PolicyFileInvalid", ex.ErrorId);
            Assert.StartsWith("bad.yaml:2: not valid YAML/JSON", ex.Message);
            Assert.Equal("bad.yaml:2", ex.Target);
            // A structure YamlDotNet reports without a position still names the file.
            var ex2 = Assert.Throws<AlpException>(() => PolicyLoader.LoadText("apiVersion: v1\nkind: [Namespace\nmetadata: {}\n", "bad2.yaml"));
            Assert.Equal("PolicyFileInvalid", ex2.ErrorId);
            Assert.StartsWith("bad2.yaml", ex2.Message);
        }

        [Fact]
        public void Unknown_kind_names_file_document_line_and_field()
        {
            const string yaml = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n";
            var ex = Assert.Throws<AlpException>(() => PolicyLoader.LoadText(yaml, "mixed.yaml"));
            Assert.Equal("UnknownKind", ex.ErrorId);
            Assert.StartsWith("mixed.yaml:5: document 2: field 'kind':", ex.Message);
            Assert.Contains("Deployment", ex.Message);
            Assert.Equal("mixed.yaml:5", ex.Target);
        }

        [Fact]
        public void Invalid_selector_names_field_line_and_column()
        {
            const string yaml = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec:\n  ingress:\n  - action: Allow\n    source:\n      selector: app == web\n";
            var ex = Assert.Throws<AlpException>(() => PolicyLoader.LoadText(yaml, "p.yaml"));
            Assert.Equal("InvalidSelector", ex.ErrorId);
            Assert.Contains("p.yaml:8: document 1: field 'spec.ingress[0].source.selector':", ex.Message);
            Assert.Contains("column 8: expected a quoted string after '=='", ex.Message);
        }

        [Fact]
        public void Bad_action_and_bad_method_are_field_errors()
        {
            const string yaml = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec:\n  ingress:\n  - action: Permit\n";
            var ex = Assert.Throws<AlpException>(() => PolicyLoader.LoadText(yaml, "p.yaml"));
            Assert.Equal("PolicyFileInvalid", ex.ErrorId);
            Assert.Contains("p.yaml:6: document 1: field 'spec.ingress[0].action': 'Permit'", ex.Message);

            const string yaml2 = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec:\n  ingress:\n  - action: Allow\n    http: {methods: [GET, GET]}\n";
            var ex2 = Assert.Throws<AlpException>(() => PolicyLoader.LoadText(yaml2, "p.yaml"));
            Assert.Contains("field 'spec.ingress[0].http.methods[1]': duplicate method 'GET'", ex2.Message);

            const string yaml3 = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec:\n  ingress:\n  - action: Allow\n    http: {paths: [{prefix: api}]}\n";
            var ex3 = Assert.Throws<AlpException>(() => PolicyLoader.LoadText(yaml3, "p.yaml"));
            Assert.Contains("field 'spec.ingress[0].http.paths[0]': path 'api' must start with '/'", ex3.Message);
        }

        [Theory]
        [InlineData("  egress:\n  - action: Allow\n    http: {methods: [GET]}\n", "spec.egress[0].http", "only allowed on ingress rules with action Allow")]
        [InlineData("  ingress:\n  - action: Deny\n    http: {methods: [GET]}\n", "spec.ingress[0].http", "only allowed on ingress rules with action Allow")]
        [InlineData("  ingress:\n  - action: Allow\n    protocol: UDP\n    http: {methods: [GET]}\n", "spec.ingress[0].http", "need protocol TCP")]
        [InlineData("  ingress:\n  - action: Allow\n    destination: {ports: [80]}\n", "spec.ingress[0].destination.ports", "numeric ports need 'protocol'")]
        public void Calico_validation_rules_are_enforced(string rules, string field, string message)
        {
            var yaml = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec:\n" + rules;
            var ex = Assert.Throws<AlpException>(() => PolicyLoader.LoadText(yaml, "v.yaml"));
            Assert.Equal("PolicyFileInvalid", ex.ErrorId);
            Assert.Contains($"document 1: field '{field}': ", ex.Message);
            Assert.Contains(message, ex.Message);
        }

        [Fact]
        public void Service_matches_are_refused_rather_than_ignored()
        {
            const string yaml = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec:\n  egress:\n  - action: Allow\n    destination:\n      services: {name: api, namespace: web}\n";
            var ex = Assert.Throws<AlpException>(() => PolicyLoader.LoadText(yaml, "svc.yaml"));
            Assert.Equal("UnsupportedPolicyFeature", ex.ErrorId);
            Assert.StartsWith("svc.yaml:8: document 1: field 'spec.egress[0].destination.services':", ex.Message);
        }

        [Fact]
        public void Json_with_tab_indentation_and_calicoctl_knp_names()
        {
            var json = "{\n\t\"apiVersion\": \"projectcalico.org/v3\",\n\t\"kind\": \"NetworkPolicy\",\n\t\"metadata\": {\"name\": \"knp.default.db\", \"namespace\": \"prod\"},\n" +
                       "\t\"spec\": {\"order\": 1000, \"selector\": \"app == 'db'\"}\n}";
            var p = PolicyLoader.LoadText(json, "p.json").Policies.Single();
            Assert.Equal(PolicyKind.KubernetesNetworkPolicy, p.Kind);
            Assert.Equal("knp.default.db", p.Name);
            Assert.Equal(1, p.Location.Line);
        }

        [Fact]
        public void Missing_path_is_object_not_found()
        {
            var ex = Assert.Throws<AlpException>(() => PolicyLoader.LoadPath("/nonexistent/calicoalp/policies"));
            Assert.Equal("PolicyPathNotFound", ex.ErrorId);
        }
    }
}
