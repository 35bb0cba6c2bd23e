using System;
using System.Collections;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using CalicoAlp.Cmdlets;
using CalicoAlp.Core.Policy.Evaluation;
using Xunit;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Tests.Policy
{
    public sealed class TestAlpRequestCommandTests : IDisposable
    {
        private readonly string _dir;

        public TestAlpRequestCommandTests()
        {
            _dir = Path.Combine(Path.GetTempPath(), "calicoalp-cmdlet-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_dir);
            File.WriteAllText(Path.Combine(_dir, "policy.yaml"), @"apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: api, namespace: web}
spec:
  selector: app == 'api'
  ingress:
  - action: Allow
    source: {serviceAccounts: {names: [frontend]}}
    http: {methods: [GET], paths: [{prefix: /v1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: fe-1, namespace: web, labels: {app: fe}}
spec: {serviceAccountName: frontend}
status: {podIP: 10.1.0.5}
");
        }

        public void Dispose() => Directory.Delete(_dir, true);

        private static PowerShell Host()
        {
            var iss = InitialSessionState.CreateDefault2();
            iss.Commands.Add(new SessionStateCmdletEntry("Test-AlpRequest", typeof(TestAlpRequestCommand), null));
            return PowerShell.Create(iss);
        }

        [Fact]
        public void Allows_a_matching_request_and_explains_it()
        {
            using var ps = Host();
            ps.AddCommand("Test-AlpRequest")
                .AddParameter("PolicyPath", _dir)
                .AddParameter("SourcePrincipal", "spiffe://cluster.local/ns/web/sa/frontend")
                .AddParameter("SourceIP", "10.1.0.5")
                .AddParameter("DestinationNamespace", "web")
                .AddParameter("DestinationServiceAccount", "api")
                .AddParameter("DestinationLabels", new Hashtable { ["app"] = "api" })
                .AddParameter("DestinationPort", 8080)
                .AddParameter("Method", "GET")
                .AddParameter("Path", "/v1/items");
            var result = ps.Invoke();
            Assert.False(ps.HadErrors, string.Join("; ", ps.Streams.Error));
            var d = Assert.IsType<RequestDecision>(Assert.Single(result).BaseObject);
            Assert.Equal(Verdict.Allow, d.Decision);
            Assert.Equal(CheckStatus.OK, d.Status);
            Assert.Equal("web/api", d.Policy);
            Assert.Equal(0, d.RuleIndex);
            Assert.NotEmpty(d.Trace);
        }

        [Fact]
        public void Binds_requests_from_the_pipeline_by_property_name()
        {
            using var ps = Host();
            ps.AddScript($@"
$rows = @(
  [pscustomobject]@{{ PolicyPath = '{_dir}'; SourceIP = '10.1.0.5'; DestinationNamespace = 'web'; DestinationLabels = @{{app='api'}}; Method = 'GET'; Path = '/v1' }}
  [pscustomobject]@{{ PolicyPath = '{_dir}'; SourceIP = '10.1.0.5'; DestinationNamespace = 'web'; DestinationLabels = @{{app='api'}}; Method = 'POST'; Path = '/v1' }}
  [pscustomobject]@{{ PolicyPath = '{_dir}'; SourceIP = '203.0.113.1'; DestinationNamespace = 'web'; DestinationLabels = @{{app='api'}}; Method = 'GET'; Path = '/v1'; SourcePrincipal = '' }}
  [pscustomobject]@{{ PolicyPath = '{_dir}'; SourceIP = '10.1.0.5'; DestinationNamespace = 'web'; DestinationLabels = @{{app='api'}}; Method = 'GET'; Path = 'v1' }}
)
$rows | Test-AlpRequest");
            var results = ps.Invoke().Select(o => (RequestDecision)o.BaseObject).ToList();
            Assert.False(ps.HadErrors, string.Join("; ", ps.Streams.Error));
            Assert.Equal(4, results.Count);
            // 1: the Pod object gives the source workload (web/frontend) and mTLS principal.
            Assert.Equal(Verdict.Allow, results[0].Decision);
            Assert.Equal(Verdict.Deny, results[1].Decision);
            Assert.Equal(DecisionReason.TierDefaultAction, results[1].Reason);
            // 3: plaintext from outside the cluster is not in the service-account IP set.
            Assert.Equal(Verdict.Deny, results[2].Decision);
            Assert.Equal(CheckStatus.INVALID_ARGUMENT, results[3].Status);
        }

        [Theory]
        [InlineData("", "", false)]
        [InlineData("", "-Verbose", true)]
        [InlineData("$VerbosePreference = 'Continue'", "", true)]
        [InlineData("$VerbosePreference = 'Continue'", "-Verbose:$false", false)]
        public void Writes_the_trace_to_the_verbose_stream_only_when_it_is_on(string before, string switches, bool expected)
        {
            using var ps = Host();
            ps.AddScript($@"{before}
@([pscustomobject]@{{ SourceIP = '10.1.0.5'; Method = 'GET'; Path = '/v1' }}, [pscustomobject]@{{ SourceIP = '10.1.0.5'; Method = 'POST'; Path = '/v1' }}) |
    Test-AlpRequest -PolicyPath '{_dir}' -DestinationNamespace web -DestinationLabels @{{ app = 'api' }} {switches}");
            var results = ps.Invoke().Select(o => (RequestDecision)o.BaseObject).ToList();
            Assert.False(ps.HadErrors, string.Join("; ", ps.Streams.Error));
            Assert.Equal(2, results.Count);
            var steps = results.SelectMany(d => d.Trace).Select(t => t.ToString()).ToList();
            Assert.NotEmpty(steps);
            var verbose = ps.Streams.Verbose.Select(v => v.Message).Where(m => !m.StartsWith("Loading policy", StringComparison.Ordinal) && !m.StartsWith("Compiled ", StringComparison.Ordinal)).ToList();
            Assert.Equal(expected ? steps : [], verbose);
        }

        [Fact]
        public void Relative_policy_paths_follow_the_current_location_from_record_to_record()
        {
            // Two folders with a policy.yaml each: the first allows GET /v1, the second has no allow rule (tier default Deny).
            var allow = Directory.CreateDirectory(Path.Combine(_dir, "allow")).FullName;
            var deny = Directory.CreateDirectory(Path.Combine(_dir, "deny")).FullName;
            File.Copy(Path.Combine(_dir, "policy.yaml"), Path.Combine(allow, "policy.yaml"));
            File.WriteAllText(Path.Combine(deny, "policy.yaml"), "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: api, namespace: web}\nspec:\n  selector: app == 'api'\n  ingress: []\n");
            using var ps = Host();
            ps.AddScript($@"
Set-Location '{allow}'
'{allow}', '{allow}', '{deny}', '{allow}' | ForEach-Object {{ Set-Location $_; [pscustomobject]@{{ SourceNamespace = 'web'; SourceServiceAccount = 'frontend'; Method = 'GET'; Path = '/v1' }} }} |
    Test-AlpRequest -PolicyPath policy.yaml -DestinationNamespace web -DestinationLabels @{{ app = 'api' }} -NoTrace");
            var results = ps.Invoke().Select(o => ((RequestDecision)o.BaseObject).Decision).ToList();
            Assert.False(ps.HadErrors, string.Join("; ", ps.Streams.Error));
            Assert.Equal([Verdict.Allow, Verdict.Allow, Verdict.Deny, Verdict.Allow], results);
        }

        [Fact]
        public void Egress_direction_evaluates_the_source_endpoint()
        {
            File.WriteAllText(Path.Combine(_dir, "egress.yaml"), @"apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: to-pilot}
spec:
  selector: app == 'api'
  types: [Egress]
  egress:
  - action: Allow
    protocol: TCP
    destination: {selector: istio == 'pilot', ports: ['15010:15012']}
");
            using var ps = Host();
            ps.AddScript($@"15011, 15020 | ForEach-Object {{
  Test-AlpRequest -PolicyPath '{_dir}' -Direction Egress -SourceNamespace web -SourceServiceAccount api -SourceLabels @{{app='api'}} `
    -DestinationNamespace istio-system -DestinationLabels @{{istio='pilot'}} -DestinationPort $_ }}");
            var results = ps.Invoke().Select(o => (RequestDecision)o.BaseObject).ToList();
            Assert.False(ps.HadErrors, string.Join("; ", ps.Streams.Error));
            Assert.Equal(new[] { Verdict.Allow, Verdict.Deny }, results.Select(r => r.Decision));
            Assert.Equal("to-pilot", results[0].Policy);
            Assert.Equal(TrafficDirection.Egress, results[1].Direction);
        }

        [Fact]
        public void Bad_policy_file_is_a_terminating_error_naming_file_and_field()
        {
            File.WriteAllText(Path.Combine(_dir, "bad.yaml"), "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: x}\nspec:\n  selector: app = 'x'\n");
            using var ps = Host();
            ps.AddCommand("Test-AlpRequest").AddParameter("PolicyPath", _dir).AddParameter("DestinationPort", 80);
            var ex = Assert.ThrowsAny<RuntimeException>(() => ps.Invoke()).ErrorRecord;
            Assert.Equal("InvalidSelector,CalicoAlp.Cmdlets.TestAlpRequestCommand", ex.FullyQualifiedErrorId);
            Assert.Contains("bad.yaml:5: document 1: field 'spec.selector':", ex.Exception.Message);
            Assert.Contains("column 5", ex.Exception.Message);
        }

        [Fact]
        public void Bad_method_is_a_non_terminating_argument_error()
        {
            using var ps = Host();
            ps.AddCommand("Test-AlpRequest").AddParameter("PolicyPath", _dir).AddParameter("Method", "GE T").AddParameter("Path", "/");
            var result = ps.Invoke();
            Assert.Empty(result);
            var error = Assert.Single(ps.Streams.Error);
            Assert.Equal("InvalidMethod,CalicoAlp.Cmdlets.TestAlpRequestCommand", error.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        }

        [Fact]
        public void Offline_path_uses_no_KubernetesClient_types_in_its_signatures()
        {
            using var ps = Host();
            ps.AddCommand("Test-AlpRequest").AddParameter("PolicyPath", _dir).AddParameter("CalicoVersion", "3.29.1").AddParameter("DestinationNamespace", "web");
            var d = (RequestDecision)ps.Invoke().Single().BaseObject;
            Assert.Contains("Classic", d.CalicoVersion, StringComparison.Ordinal);
            // Signature level: no type the offline path uses has a base type, field, property or method signature from KubernetesClient.
            var offlineTypes = typeof(PolicyEngine).Assembly.GetTypes()
                .Where(t => t.Namespace != null && t.Namespace.StartsWith("CalicoAlp.Core.Policy", StringComparison.Ordinal))
                .Concat(new[] { typeof(TestAlpRequestCommand), typeof(AlpCmdlet), typeof(CalicoAlp.Hosting.PipelineBridge) })
                .ToList();
            Assert.Contains(typeof(CalicoAlp.Core.Policy.Loading.PolicyLoader), offlineTypes);
            const System.Reflection.BindingFlags all = System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static |
                System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly;
            static bool FromKube(Type t) => t.Assembly.GetName().Name == "KubernetesClient" ||
                (t.IsGenericType && t.GetGenericArguments().Any(FromKube)) || (t.HasElementType && FromKube(t.GetElementType()!));
            foreach (var type in offlineTypes)
            {
                for (var b = type.BaseType; b != null; b = b.BaseType) Assert.False(FromKube(b), $"{type} derives from {b}");
                foreach (var f in type.GetFields(all)) Assert.False(FromKube(f.FieldType), $"{type}.{f.Name}");
                foreach (var p in type.GetProperties(all)) Assert.False(FromKube(p.PropertyType), $"{type}.{p.Name}");
                foreach (var m in type.GetMethods(all))
                {
                    Assert.False(FromKube(m.ReturnType), $"{type}.{m.Name} returns a KubernetesClient type");
                    foreach (var prm in m.GetParameters()) Assert.False(FromKube(prm.ParameterType), $"{type}.{m.Name}({prm.Name})");
                }
            }
        }
    }
}
