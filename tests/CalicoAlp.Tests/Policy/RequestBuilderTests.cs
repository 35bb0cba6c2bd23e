using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Net;
using CalicoAlp.Cmdlets;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Loading;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Requests;
using Xunit;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Tests.Policy
{
    /// <summary>The one request builder (Core) and Test-AlpRequest's piped request objects.</summary>
    public sealed class RequestBuilderTests : IDisposable
    {
        private const string Policy = @"apiVersion: projectcalico.org/v3
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
---
apiVersion: v1
kind: Pod
metadata: {name: api-1, namespace: web, labels: {app: api}}
spec: {serviceAccountName: api}
status: {podIP: 10.1.0.9}
";
        private readonly string _dir;
        private readonly PolicyEngine _engine;

        public RequestBuilderTests()
        {
            _dir = Path.Combine(Path.GetTempPath(), "calicoalp-builder-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_dir);
            File.WriteAllText(Path.Combine(_dir, "policy.yaml"), Policy);
            _engine = PolicyEngine.Compile(PolicyLoader.LoadPath(_dir));
        }

        public void Dispose() => Directory.Delete(_dir, true);

        [Fact]
        public void A_destination_service_account_alone_describes_the_destination_even_when_a_pod_owns_the_IP()
        {
            // Before the builder, Test-AlpRequest looked the pod up by IP here (and dropped -DestinationServiceAccount),
            // while the replay used the service account: both now use the given field.
            var b = new AlpRequestBuilder(_engine);
            var r = b.Build(new RequestFields { DestinationIP = IPAddress.Parse("10.1.0.9"), DestinationServiceAccount = "other" });
            Assert.Equal(new WorkloadInfo("default", "other", r.DestinationWorkload!.Labels), r.DestinationWorkload);
            Assert.Empty(r.DestinationWorkload.Labels);
            var options = b.ReplayOptions(new RequestFields { DestinationIP = IPAddress.Parse("10.1.0.9"), DestinationServiceAccount = "other" });
            Assert.Equal(r.DestinationWorkload, options.Destination);
        }

        [Fact]
        public void Sides_without_fields_are_the_pods_owning_their_IPs_else_outside_or_default()
        {
            var b = new AlpRequestBuilder(_engine);
            var r = b.Build(new RequestFields { SourceIP = IPAddress.Parse("10.1.0.5"), DestinationIP = IPAddress.Parse("10.1.0.9") });
            Assert.Equal(("web", "frontend"), (r.SourceWorkload!.Namespace, r.SourceWorkload.ServiceAccount));
            Assert.Equal("spiffe://cluster.local/ns/web/sa/frontend", r.SourcePrincipal);
            Assert.Equal(("web", "api"), (r.DestinationWorkload!.Namespace, r.DestinationWorkload.ServiceAccount));
            Assert.Equal((AlpRequestBuilder.DefaultSourcePort, AlpRequestBuilder.DefaultDestinationPort, IpProtocol.Tcp), (r.SourcePort, r.DestinationPort, r.Protocol));

            var outside = b.Build(new RequestFields { SourceIP = IPAddress.Parse("203.0.113.1") });
            Assert.Null(outside.SourceWorkload);
            Assert.Equal("", outside.SourcePrincipal);
            Assert.Equal(("default", "default"), (outside.DestinationWorkload!.Namespace, outside.DestinationWorkload.ServiceAccount));
        }

        [Fact]
        public void A_given_principal_wins_and_a_malformed_one_is_reported_once_per_request()
        {
            var warnings = new List<string>();
            var b = new AlpRequestBuilder(_engine, warnings.Add);
            var plaintext = b.Build(new RequestFields { SourcePrincipal = "", SourceIP = IPAddress.Parse("10.1.0.5") });
            Assert.Equal("", plaintext.SourcePrincipal);
            Assert.Empty(warnings);
            var described = b.Build(new RequestFields { SourcePrincipal = "spiffe://td/ns/a/sa/b", SourceLabels = new Dictionary<string, string>() });
            Assert.Equal(("a", "b"), (described.SourceWorkload!.Namespace, described.SourceWorkload.ServiceAccount));
            b.Build(new RequestFields { SourcePrincipal = "not-spiffe" });
            var w = Assert.Single(warnings);
            Assert.Contains("'not-spiffe'", w);
            b.ReplayOptions(new RequestFields { SourcePrincipal = "not-spiffe" });
            Assert.Equal(2, warnings.Count);
            Assert.Equal(warnings[0], warnings[1]);
        }

        [Theory]
        [InlineData("TCP", 6)]
        [InlineData("udp", 17)]
        [InlineData("Sctp", 132)]
        [InlineData("ICMPv6", 58)]
        [InlineData("udplite", 136)]
        [InlineData("47", 47)]
        public void Protocols_are_named_or_numbered(string text, int number) => Assert.Equal(number, IpProtocol.Parse(text, "Protocol"));

        [Theory]
        [InlineData("0")]
        [InlineData("256")]
        [InlineData("GRE")]
        public void Other_protocols_are_an_error_naming_the_field(string text)
        {
            var ex = Assert.Throws<AlpException>(() => IpProtocol.Parse(text, "Protocol"));
            Assert.Equal("InvalidProtocol", ex.ErrorId);
            Assert.Contains("-Protocol", ex.Message);
        }

        private static PowerShell Host()
        {
            var iss = InitialSessionState.CreateDefault2();
            iss.Commands.Add(new SessionStateCmdletEntry("Test-AlpRequest", typeof(TestAlpRequestCommand), null));
            return PowerShell.Create(iss);
        }

        [Fact]
        public void Piped_objects_are_read_as_parameters_and_the_command_line_wins()
        {
            using var ps = Host();
            ps.AddScript($@"
$rows = @(
  [pscustomobject]@{{ sourceip = '10.1.0.5'; METHOD = 'GET'; Path = '/v1'; DestinationPort = '8080' }}
  [pscustomobject]@{{ SourceIP = '10.1.0.5'; Method = 'GET'; Path = '/v1'; DestinationNamespace = 'elsewhere' }}
  [pscustomobject]@{{ SourceIP = '10.1.0.5'; Method = 'POST'; Path = '/v1'; Unrelated = 1 }}
  [pscustomobject]@{{ SourceIP = '10.1.0.5'; Method = 'GET'; Path = '/v1'; SourcePrincipal = '' }}
)
$rows | Test-AlpRequest -PolicyPath '{_dir}' -DestinationNamespace web -DestinationServiceAccount api -DestinationLabels @{{ app = 'api' }}
");
            var results = ps.Invoke().Select(o => (RequestDecision)o.BaseObject).ToList();
            Assert.False(ps.HadErrors, string.Join("; ", ps.Streams.Error));
            Assert.Equal(new[] { Verdict.Allow, Verdict.Allow, Verdict.Deny, Verdict.Allow }, results.Select(r => r.Decision));
            Assert.Equal(8080, results[0].Request.DestinationPort);
            Assert.Equal("web", results[1].Request.DestinationWorkload!.Namespace);
            // An empty SourcePrincipal property is plaintext, but the service-account rule is skipped for plaintext (spec).
            Assert.Equal("", results[3].Request.SourcePrincipal);
            Assert.Equal("spiffe://cluster.local/ns/web/sa/frontend", results[0].Request.SourcePrincipal);
        }

        [Fact]
        public void A_bad_piped_object_is_a_non_terminating_error_and_the_pipeline_goes_on()
        {
            using var ps = Host();
            ps.AddScript($@"
@(
  [pscustomobject]@{{ SourceIP = '10.1.0.5'; DestinationPort = 70000 }}
  'just a string'
  [pscustomobject]@{{ SourceIP = '10.1.0.5'; Source = 'Not A Pod' }}
  [pscustomobject]@{{ SourceIP = '10.1.0.5'; Method = 'GET'; Path = '/v1' }}
) | Test-AlpRequest -PolicyPath '{_dir}' -DestinationIP 10.1.0.9
");
            var results = ps.Invoke();
            var errors = ps.Streams.Error.Select(e => e.FullyQualifiedErrorId.Split(',')[0]).ToList();
            Assert.Equal(new[] { "InputObjectPropertyInvalid", "InputObjectNotRequest", "InputObjectPropertyInvalid" }, errors);
            Assert.Contains("DestinationPort", ps.Streams.Error[0].Exception.Message);
            var d = (RequestDecision)Assert.Single(results).BaseObject;
            Assert.Equal(Verdict.Allow, d.Decision);
        }

        [Fact]
        public void Direct_calls_still_bind_by_property_name_in_the_request_set()
        {
            using var ps = Host();
            ps.AddCommand("Test-AlpRequest").AddParameter("PolicyPath", _dir).AddParameter("SourceIP", "10.1.0.5")
                .AddParameter("DestinationIP", "10.1.0.9").AddParameter("DestinationServiceAccount", "api")
                .AddParameter("Method", "GET").AddParameter("Path", "/v1");
            var d = (RequestDecision)Assert.Single(ps.Invoke()).BaseObject;
            Assert.False(ps.HadErrors, string.Join("; ", ps.Streams.Error));
            // Only the service account is given: the destination is default/api without labels, so web/api does not select it.
            Assert.Equal(("default", "api"), (d.Request.DestinationWorkload!.Namespace, d.Request.DestinationWorkload.ServiceAccount));
        }
    }
}
