using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace CalicoAlp.Tests.Properties
{
    /// <summary>
    /// The parsers of user input on generated and mutated input: each answers or refuses with our own clear error
    /// (<see cref="ParserTargets.IsClearError"/>), never anything else, and keeps the properties ParserTargets checks.
    /// </summary>
    public class ParserPropertyTests
    {
        private readonly ITestOutputHelper _output;
        public ParserPropertyTests(ITestOutputHelper output) => _output = output;

        // ------------------------------------------------------------------ selectors

        private static readonly string[] SelectorKeys = { "a", "app", "k8s.io/name", "projectcalico.org/namespace", "pcns.team", "x-y_z.1", "", "1a", "é" };
        private static readonly string[] SelectorValues = { "b", "web", "", "a b", "'", "\"", "é", "\\", "x}y" };
        private static readonly string[] SelectorTokens =
        {
            "&&", "||", "!", "(", ")", "{", "}", "==", "!=", " in ", " not in ", "has(", "all()", "global()", " starts with ", " ends with ",
            " contains ", "'", "\"", ",", "has(a)", "a == 'b'",
        };

        private static string Quoted(Draw d, string v) => d.Chance(50) ? $"'{v.Replace("'", "")}'" : $"\"{v.Replace("\"", "")}\"";

        private static string SelectorExpr(Draw d, int depth)
        {
            if (depth > 0 && d.Chance(45))
            {
                return d.Next(4) switch
                {
                    0 => $"{SelectorExpr(d, depth - 1)} && {SelectorExpr(d, depth - 1)}",
                    1 => $"{SelectorExpr(d, depth - 1)} || {SelectorExpr(d, depth - 1)}",
                    2 => $"!{SelectorExpr(d, depth - 1)}",
                    _ => $"({SelectorExpr(d, depth - 1)})",
                };
            }
            var key = d.Pick(SelectorKeys);
            return d.Next(9) switch
            {
                0 => "all()",
                1 => "global()",
                2 => $"has({key})",
                3 => $"{key} == {Quoted(d, d.Pick(SelectorValues))}",
                4 => $"{key} != {Quoted(d, d.Pick(SelectorValues))}",
                5 => $"{key} {(d.Chance(50) ? "in" : "not in")} {{{string.Join(", ", Enumerable.Range(0, d.Next(3)).Select(_ => Quoted(d, d.Pick(SelectorValues))))}}}",
                6 => $"{key} starts with {Quoted(d, d.Pick(SelectorValues))}",
                7 => $"{key} ends with {Quoted(d, d.Pick(SelectorValues))}",
                _ => $"{key} contains {Quoted(d, d.Pick(SelectorValues))}",
            };
        }

        [Fact]
        public void Selector_parser_answers_or_refuses_clearly()
        {
            var gen = InputGen.SeedsAndStructure(ParserTargets.SelectorTarget, d => SelectorExpr(d, 4), SelectorTokens);
            PropertyRun.Check(_output, "selector", gen, ParserTargets.Selector, 3000);
        }

        // ------------------------------------------------------------------ policy YAML

        private static readonly string[] YamlValues =
        {
            "-1", "0", "65536", "99999999999999999999", "1e400", "0x50", "1.5", "~", "null", "[]", "{}", "''", "\"\\u0000\"", "*a", "&a x",
            "!!binary aGk=", "!!int x", "10.0.0.0/33", "::/129", "fe80::1%eth0", "'80:90'", "'90:80'", "http", "[80, '8000:8080', http]",
            "\"app == 'x'\"", "\"a ==\"", "Allow", "Deny", "Pass", "Log", "Bogus", "[Ingress, Egress]", "[Sideways]", "TCP", "-6", "256",
            "{names: [a], selector: \"has(b)\"}", "[{prefix: /a}, {exact: /b}, {regex: x}]", "[GET, '*', '']", "|\n  text",
        };

        private static readonly string[] YamlTokens =
        {
            "\n", "\n  ", "\n- ", ": ", "- ", "---\n", "...\n", "? ", "&a ", "*a", "<<: *a\n", "!!str ", "!tag ", "%YAML 1.1\n", "{", "}", "[", "]",
            "\"", "'", "#", "|", ">", "\t", "kind: List\nitems: [", "apiVersion: projectcalico.org/v3\n", "metadata: {name: x}\n",
            "spec:\n  ingress:\n  - action: Allow\n", "selector: ", "namespaceSelector: ", "nets: ", "ports: ", "order: ", "tier: ", "http: ",
        };

        private static readonly Regex ScalarAfterKey = new(@"(?<=: )[^\n{}\[\],]+", RegexOptions.CultureInvariant);

        /// <summary>A seed with scalar values swapped for odd ones, lines dropped or repeated.</summary>
        private static string PolicyYaml(Draw d)
        {
            var text = d.Pick(InputGen.Seeds(ParserTargets.PolicyYamlTarget));
            var matches = ScalarAfterKey.Matches(text);
            int swaps = d.Between(1, 3);
            for (int i = 0; i < swaps && matches.Count > 0; i++)
            {
                var m = matches[d.Next(matches.Count)];
                text = text.Substring(0, m.Index) + d.Pick(YamlValues) + text.Substring(m.Index + m.Length);
                matches = ScalarAfterKey.Matches(text);
            }
            if (d.Chance(30))
            {
                var lines = text.Split('\n').ToList();
                int at = d.Next(lines.Count);
                if (d.Chance(50)) lines.RemoveAt(at);
                else lines.Insert(at, lines[d.Next(lines.Count)]);
                text = string.Join('\n', lines);
            }
            return text;
        }

        [Fact]
        public void Policy_yaml_loader_answers_or_refuses_clearly()
        {
            var gen = InputGen.SeedsAndStructure(ParserTargets.PolicyYamlTarget, PolicyYaml, YamlTokens);
            PropertyRun.Check(_output, "policy-yaml", gen, ParserTargets.PolicyYaml, 1000);
        }

        [Fact]
        public void Every_policy_seed_loads()
        {
            // The seeds must be valid, or the mutations above start from refusals and test little.
            foreach (var seed in InputGen.Seeds(ParserTargets.PolicyYamlTarget))
            {
                Assert.NotEmpty(Core.Policy.Loading.PolicyLoader.LoadText(seed, "seed.yaml").Policies);
            }
        }

        // ------------------------------------------------------------------ SPIFFE

        private static readonly string[] SpiffeParts = { "", "ns", "sa", "cluster.local", "default", "web", "a/b", "..", "%2F", "é", " ", "spiffe:" };

        [Fact]
        public void Spiffe_parser_never_throws_and_round_trips()
        {
            var gen = InputGen.SeedsAndStructure(ParserTargets.SpiffeTarget,
                d => (d.Chance(80) ? "spiffe://" : d.Pick(new[] { "SPIFFE://", "spiffe:/", "http://", "" })) +
                     string.Join("/", Enumerable.Range(0, d.Between(0, 7)).Select(i => i % 2 == 1 && d.Chance(70) ? (i == 1 ? "ns" : "sa") : d.Pick(SpiffeParts))),
                SpiffeParts);
            PropertyRun.Check(_output, "spiffe", gen, ParserTargets.Spiffe, 3000);
        }

        // ------------------------------------------------------------------ HTTP paths

        private static readonly string[] PathSegments =
        {
            "", ".", "..", "a", "api", "v1", "%2e", "%2E%2e", "%2f", "%5C", "%25", "%252e", "%", "%z", "%zz", "%0", ";p=1", "a;b", "\\", "..\\",
            "?q=1", "#f", "é", "%C3%A9", "%00", "%ff", "%c3", "+", " ", "%20",
        };

        [Fact]
        public void Http_path_normaliser_never_throws_and_gives_clean_paths()
        {
            var gen = InputGen.SeedsAndStructure(ParserTargets.HttpPathTarget,
                d => (d.Chance(85) ? "/" : "") + string.Join(d.Chance(90) ? "/" : "\\", Enumerable.Range(0, d.Between(0, 8)).Select(_ => d.Pick(PathSegments))),
                PathSegments);
            PropertyRun.Check(_output, "http-path", gen, ParserTargets.HttpPathNormalise, 5000);
        }

        // ------------------------------------------------------------------ access logs

        private static readonly string[] LogKeys =
        {
            "method", "path", "protocol", "response_code", "authority", "start_time", "upstream_host", "downstream_remote_address",
            "downstream_local_address", "downstream_peer_uri_san", "x_forwarded_client_cert", "x_forwarded_for", "%REQ(:METHOD)%",
            "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%", "%DOWNSTREAM_REMOTE_ADDRESS%", "%REQ(X-FORWARDED-CLIENT-CERT)%", "%%", "other",
        };

        private static readonly string[] LogValues =
        {
            "\"GET\"", "\"G T\"", "\"\"", "\"/api/v1\"", "\"/a%2fb\"", "\"10.1.0.5:4000\"", "\"[fd00::1]:80\"", "\"fd00::1\"", "\"10.1.0.5:99999\"",
            "\"10.1.0.5:-1\"", "\"10.1.0.5\"", "\":\"", "\"[::1\"", "\"spiffe://cluster.local/ns/a/sa/b\"", "\"URI=spiffe://x/ns/a/sa/b;By=x\"",
            "\"By=a;URI=\"", "\"a, b\"", "200", "-1", "1e999", "null", "true", "[1,{\"a\":[]}]", "{\"x\":{}}", "\"\\u0000\"", "\"\\ud800\"", "\"\\\"\"",
        };

        private static readonly string[] LogTokens = { "{", "}", "[", "]", "\"", ",", ":", "\\", "\\u", " ", "-", "\"-\"", " HTTP/1.1\"", "\" ", "\n" };

        private static string LogLine(Draw d)
        {
            if (d.Chance(60))
            {
                return "{" + string.Join(",", Enumerable.Range(0, d.Between(0, 8)).Select(_ => $"\"{d.Pick(LogKeys)}\":{d.Pick(LogValues)}")) + "}";
            }
            string Field() => d.Pick(new[] { "-", "\"-\"", "10.2.0.7:8080", "[fd00::2]:80", "x:y", "1.2.3.4", "\"a b\"", "200", "" });
            return $"[2026-11-26T00:00:00.000Z] \"{d.Pick(new[] { "GET", "POST", "", "G\"T" })} {d.Pick(PathSegments)} HTTP/1.1\" " +
                   string.Join(" ", Enumerable.Range(0, d.Between(0, 16)).Select(_ => Field()));
        }

        [Fact]
        public void Access_log_parser_never_throws()
        {
            var gen = InputGen.SeedsAndStructure(ParserTargets.AccessLogTarget, LogLine, LogTokens);
            PropertyRun.Check(_output, "access-log", gen, line => ParserTargets.AccessLog(Encoding.UTF8.GetBytes(line)), 4000);
        }
    }
}
