using System;
using System.IO;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Loading;
using Xunit;

namespace CalicoAlp.Tests.Hostile
{
    /// <summary>
    /// Values Calico's validator refuses are refused in policy files with file:line and the field path (issue 13): before,
    /// each of these loaded and silently never matched, or matched what the cluster never would.
    /// </summary>
    public sealed class CalicoValidationTests
    {
        private static string Gnp(string rule, string name = "p") =>
            $"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: {name}\nspec:\n  selector: all()\n  ingress:\n{rule}";

        private static AlpException Refused(string text) => Assert.Throws<AlpException>(() => PolicyLoader.LoadText(text, "f.yaml"));

        [Theory]
        [InlineData("10.0.0.0/33", "prefix length")]
        [InlineData("::/129", "prefix length")]
        [InlineData("10.0.0.0/-1", "prefix length")]
        [InlineData("300.1.1.1/8", "above 255")]
        [InlineData("fe80::1%eth0", "zone")]
        [InlineData("010.0.0.5/32", "leading zero")]
        [InlineData("10.1/16", "four decimal parts")]
        [InlineData("10.0.0.0/", "prefix length")]
        [InlineData("banana", "IPv4")]
        public void Invalid_nets_are_refused_with_the_line_and_field(string cidr, string reason)
        {
            var ex = Refused(Gnp($"  - action: Allow\n    source:\n      nets: ['10.0.0.0/8', '{cidr}']\n"));
            Assert.Equal("PolicyFileInvalid", ex.ErrorId);
            Assert.Contains("f.yaml:10:", ex.Message);
            Assert.Contains("field 'spec.ingress[0].source.nets[1]'", ex.Message);
            Assert.Contains(reason, ex.Message);
        }

        [Theory]
        [InlineData("notNets", "10.0.0.0/40")]
        [InlineData("notNet", "1.2.3")]
        [InlineData("net", "::g")]
        public void Single_and_negated_nets_are_checked_too(string key, string cidr)
        {
            var ex = Refused(Gnp($"  - action: Allow\n    destination:\n      {key}: {(key.EndsWith('s') ? $"['{cidr}']" : $"'{cidr}'")}\n"));
            Assert.Contains($"spec.ingress[0].destination.{key}", ex.Message);
        }

        [Theory]
        [InlineData("10.0.0.5/8")]      // host bits: Calico masks them off
        [InlineData("10.0.0.5")]        // a bare address is a /32
        [InlineData("0.0.0.0/0")]
        [InlineData("2001:db8::/32")]
        [InlineData("::ffff:10.0.0.1/128")]
        public void Valid_nets_load(string cidr)
        {
            var set = PolicyLoader.LoadText(Gnp($"  - action: Allow\n    source:\n      nets: ['{cidr}']\n"), "f.yaml");
            Assert.Equal(cidr, set.Policies[0].Ingress[0].Source.Nets[0]);
        }

        [Theory]
        [InlineData("-1", "0..65535")]
        [InlineData("99999999999", "above 65535")]
        [InlineData("65536", "above 65535")]
        [InlineData("0x50", "decimal")]
        [InlineData("90:80", "min is greater")]
        [InlineData("80:x", "port range")]
        [InlineData("HTTP", "lower-case")]
        [InlineData("my_port", "lower-case")]
        [InlineData("-http", "must not start")]
        [InlineData("a-very-long-port-name", "longer than 15")]
        public void Invalid_ports_are_refused(string port, string reason)
        {
            var ex = Refused(Gnp($"  - action: Allow\n    protocol: TCP\n    destination:\n      ports: ['{port}']\n"));
            Assert.Contains("f.yaml:11:", ex.Message);
            Assert.Contains("field 'spec.ingress[0].destination.ports[0]'", ex.Message);
            Assert.Contains(reason, ex.Message);
        }

        [Theory]
        [InlineData("0")]
        [InlineData("65535")]
        [InlineData("80:80")]
        [InlineData("1024:65535")]
        [InlineData("http")]
        [InlineData("http-alt2")]
        public void Valid_ports_load(string port)
        {
            var set = PolicyLoader.LoadText(Gnp($"  - action: Allow\n    protocol: TCP\n    destination:\n      ports: ['{port}']\n"), "f.yaml");
            Assert.Single(set.Policies[0].Ingress[0].Destination.Ports);
        }

        [Theory]
        [InlineData("-6", "protocol number")]
        [InlineData("0", "outside 1..255")]
        [InlineData("256", "outside 1..255")]
        [InlineData("HTTP", "is not a protocol")]
        [InlineData("0x06", "protocol number")]
        public void Invalid_protocols_are_refused(string protocol, string reason)
        {
            var ex = Refused(Gnp($"  - action: Allow\n    protocol: '{protocol}'\n"));
            Assert.Contains("field 'spec.ingress[0].protocol'", ex.Message);
            Assert.Contains(reason, ex.Message);
        }

        [Theory]
        [InlineData("TCP")]
        [InlineData("UDP")]
        [InlineData("ICMP")]
        [InlineData("ICMPv6")]
        [InlineData("SCTP")]
        [InlineData("UDPLite")]
        [InlineData("tcp")]
        [InlineData("17")]
        public void Valid_protocols_load(string protocol)
        {
            Assert.NotNull(PolicyLoader.LoadText(Gnp($"  - action: Allow\n    protocol: '{protocol}'\n"), "f.yaml").Policies[0].Ingress[0].Protocol);
        }

        [Fact]
        public void Objects_read_from_the_cluster_keep_Dikastes_semantics_for_values_a_file_may_not_hold()
        {
            // What the cluster already holds is evaluated as Dikastes evaluates it (an unknown protocol name never
            // matches, spec 5.1); only files are held to calicoctl's validation.
            var skipped = new System.Collections.Generic.List<string>();
            var set = PolicyLoader.LoadObjects(new[] { (Gnp("  - action: Allow\n    notProtocol: bogus\n    source:\n      nets: ['010.0.0.5/32']\n"), "cluster GNP p") },
                (source, ex) => skipped.Add(source));
            Assert.Empty(skipped);
            Assert.Equal("bogus", set.Policies[0].Ingress[0].NotProtocol!.Name);
            Assert.Contains("bogus", Refused(Gnp("  - action: Allow\n    notProtocol: bogus\n")).Message);
        }

        [Fact]
        public void Duplicate_JSON_keys_are_PolicyFileInvalid_not_a_raw_exception()
        {
            var ex = Refused("{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"x\"}}");
            Assert.Equal("PolicyFileInvalid", ex.ErrorId);
            Assert.Contains("f.yaml:1", ex.Message);
        }

        [Fact]
        public void An_unknown_action_is_refused()
        {
            var ex = Refused(Gnp("  - action: Permit\n"));
            Assert.Contains("field 'spec.ingress[0].action'", ex.Message);
        }

        [Fact]
        public void Kubernetes_ipBlock_and_ports_are_checked_as_well()
        {
            const string knp = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: k, namespace: a}\nspec:\n  podSelector: {}\n  ingress:\n" +
                "  - from:\n    - ipBlock: {cidr: 010.0.0.0/8}\n";
            Assert.Contains("leading zero", Refused(knp).Message);
        }

        [Fact]
        public void Two_policies_with_one_name_in_one_file_are_refused_naming_both_lines()
        {
            var one = Gnp("  - action: Allow\n");
            var ex = Refused(one + "---\n" + one);
            Assert.Equal("DuplicatePolicyName", ex.ErrorId);
            Assert.Contains("f.yaml:10: GlobalNetworkPolicy 'p' is defined twice (first at f.yaml:1)", ex.Message);
        }

        [Fact]
        public void Two_files_defining_one_policy_are_refused_but_a_staged_policy_of_the_same_name_is_another_object()
        {
            var dir = Directory.CreateTempSubdirectory("calicoalp-dup").FullName;
            try
            {
                var a = Path.Combine(dir, "a.yaml");
                var b = Path.Combine(dir, "b.yaml");
                File.WriteAllText(a, Gnp("  - action: Allow\n"));
                File.WriteAllText(b, Gnp("  - action: Deny\n"));
                var ex = Assert.Throws<AlpException>(() => PolicyLoader.LoadPaths(new[] { a, b }));
                Assert.Equal("DuplicatePolicyName", ex.ErrorId);
                Assert.Contains("b.yaml:1", ex.Message);
                File.WriteAllText(b, Gnp("  - action: Deny\n").Replace("kind: GlobalNetworkPolicy", "kind: StagedGlobalNetworkPolicy"));
                Assert.Equal(2, PolicyLoader.LoadPaths(new[] { a, b }).Policies.Count);
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }

        [Fact]
        public void Namespaced_policies_of_one_name_in_two_namespaces_are_two_objects()
        {
            const string np = "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: {0}}}\nspec: {{selector: all()}}\n";
            Assert.Equal(2, PolicyLoader.LoadText(string.Format(np, "a") + "---\n" + string.Format(np, "b"), "f.yaml").Policies.Count);
        }
    }
}
