using System;
using System.Collections.Generic;
using System.Net;
using System.Text;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Injector;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Loading;
using CalicoAlp.Core.Policy.Replay;
using CalicoAlp.Core.Policy.Requests;
using CalicoAlp.Core.Policy.Selectors;
using CalicoAlp.Core.Yaml;

namespace CalicoAlp.Tests.Properties
{
    /// <summary>A property of a parser's result that did not hold (a bug, never a user's error).</summary>
    public sealed class PropertyViolation : Exception
    {
        public PropertyViolation(string message) : base(message) { }
    }

    /// <summary>
    /// The parsers that read what a user hands in, each as one entry point over raw input: the CsCheck properties
    /// (tests/CalicoAlp.Tests/Properties) and the SharpFuzz harness (tests/CalicoAlp.Fuzz, which links this file) run
    /// the same code. A target returns normally when the input was read or refused with one of our own clear errors
    /// (<see cref="IsClearError"/>); anything else escapes: an unexpected exception type, or a
    /// <see cref="PropertyViolation"/> when a result breaks a property the parser promises.
    /// </summary>
    public static class ParserTargets
    {
        public const string SelectorTarget = "selector";
        public const string PolicyYamlTarget = "policy-yaml";
        public const string SpiffeTarget = "spiffe";
        public const string HttpPathTarget = "http-path";
        public const string AccessLogTarget = "access-log";
        public const string InjectorTarget = "injector";

        public static readonly IReadOnlyList<string> Names =
            new[] { SelectorTarget, PolicyYamlTarget, SpiffeTarget, HttpPathTarget, AccessLogTarget, InjectorTarget };

        /// <summary>Our own errors: <see cref="AlpException"/> (with an ErrorId) and the documented YAML limit exceptions (docs/bad-input.md).</summary>
        public static bool IsClearError(Exception e) =>
            e is AlpException { ErrorId.Length: > 0 } || e is YamlLimitException || e is NestingTooDeepException;

        private static readonly UTF8Encoding Utf8 = new(false, false);

        /// <summary>Runs <paramref name="target"/> on raw bytes (decoded as UTF-8, invalid bytes replaced, as a file read leniently would be).</summary>
        public static void Run(string target, ReadOnlySpan<byte> data)
        {
            switch (target)
            {
                case SelectorTarget: Selector(Utf8.GetString(data)); break;
                case PolicyYamlTarget: PolicyYaml(Utf8.GetString(data)); break;
                case SpiffeTarget: Spiffe(Utf8.GetString(data)); break;
                case HttpPathTarget: HttpPathNormalise(Utf8.GetString(data)); break;
                case AccessLogTarget: AccessLog(data); break;
                case InjectorTarget:
                    if (data.Length == 0) return;
                    Injector(Utf8.GetString(data[1..]), data[0]);
                    break;
                default: throw new ArgumentException($"unknown target '{target}' (known: {string.Join(", ", Names)})", nameof(target));
            }
        }

        /// <summary>Runs <paramref name="action"/>; our own errors are an answer, anything else escapes.</summary>
        public static bool Guard(Action action)
        {
            try
            {
                action();
                return true;
            }
            catch (Exception e) when (IsClearError(e))
            {
                return false;
            }
        }

        private static readonly IReadOnlyDictionary<string, string>[] LabelSets =
        {
            new Dictionary<string, string>(),
            new Dictionary<string, string> { ["app"] = "web", ["tier"] = "fe" },
            new Dictionary<string, string> { ["a"] = "b", ["projectcalico.org/name"] = "x", [""] = "" },
        };

        /// <summary>Selector.Parse; a parsed selector evaluates on any labels, and its canonical form parses to itself.</summary>
        public static void Selector(string text)
        {
            Guard(() =>
            {
                var s = Core.Policy.Selectors.Selector.Parse(text);
                foreach (var labels in LabelSets) s.Matches(labels);
                var again = Core.Policy.Selectors.Selector.Parse(s.Canonical);
                // The canonical form is a fixed point after one more parse. Not after the first: '!(!a == "x")' prints
                // as '!!a == "x"', which parses to 'a == "x"' (same meaning; open finding, docs/testing-properties-and-fuzzing.md).
                var third = Core.Policy.Selectors.Selector.Parse(again.Canonical);
                if (!string.Equals(third.Canonical, again.Canonical, StringComparison.Ordinal))
                {
                    throw new PropertyViolation($"selector '{text}': canonical '{s.Canonical}' -> '{again.Canonical}' -> '{third.Canonical}'");
                }
                foreach (var labels in LabelSets)
                {
                    if (again.Matches(labels) != s.Matches(labels))
                    {
                        throw new PropertyViolation($"selector '{text}' and its canonical form '{s.Canonical}' disagree on labels {string.Join(",", labels)}");
                    }
                }
            });
        }

        /// <summary>PolicyLoader.LoadText; a loaded set compiles and answers a request, in the oldest and newest behaviour.</summary>
        public static void PolicyYaml(string text)
        {
            Guard(() =>
            {
                var set = PolicyLoader.LoadText(text, "fuzz.yaml");
                foreach (var behavior in new[] { CalicoBehavior.Parse(null), CalicoBehavior.Parse("3.29.0") })
                {
                    var engine = PolicyEngine.Compile(set, behavior);
                    engine.Evaluate(Probe(engine));
                }
            });
        }

        /// <summary>A request through the one request builder (defaults and pod lookup as the cmdlets have them).</summary>
        private static AlpRequest Probe(PolicyEngine engine) => new AlpRequestBuilder(engine).Build(new RequestFields
        {
            SourcePrincipal = "spiffe://cluster.local/ns/default/sa/client",
            SourceIP = IPAddress.Parse("10.0.0.1"),
            SourcePort = 40000,
            SourceWorkload = new WorkloadInfo("default", "client", new Dictionary<string, string> { ["app"] = "client" }),
            DestinationIP = IPAddress.Parse("10.0.0.2"),
            DestinationPort = 8080,
            DestinationWorkload = new WorkloadInfo("default", "web", new Dictionary<string, string> { ["app"] = "web" }),
            Method = "GET",
            Path = "/api/v1",
        });

        /// <summary>SpiffeIdentity.TryParse never throws; what it reads, SpiffeIdentity.For writes back to the same identity.</summary>
        public static void Spiffe(string text)
        {
            if (!SpiffeIdentity.TryParse(text, out var ns, out var sa)) return;
            if (!SpiffeIdentity.TryParse(SpiffeIdentity.For(ns, sa), out var ns2, out var sa2) || ns2 != ns || sa2 != sa)
            {
                throw new PropertyViolation($"principal '{text}' reads as ns '{ns}' sa '{sa}', which does not round-trip");
            }
        }

        /// <summary>HttpPath.Normalize never throws; a rooted result is clean (path.Clean leaves it as it is).</summary>
        public static void HttpPathNormalise(string text)
        {
            HttpPath.StripQueryRaw(text);
            var n = HttpPath.Normalize(text);
            if (n == null) return;
            if (n.Length > 0 && n[0] == '/' && !string.Equals(HttpPath.Clean(n), n, StringComparison.Ordinal))
            {
                throw new PropertyViolation($"path '{text}' normalises to '{n}', which is not clean ('{HttpPath.Clean(n)}')");
            }
            // '?' and '#' may be there, decoded from %3F / %23 (decoded once, as Go's url.PathUnescape): only NUL is refused.
            if (n.IndexOf('\0') >= 0)
            {
                throw new PropertyViolation($"path '{text}' normalises to '{n}', which still has a NUL");
            }
            HttpPath.SegmentPrefixMatch(n, "/api");
        }

        private static readonly Lazy<(PolicyEngine Engine, AccessLogReplayer Replayer)> Replay = new(() =>
        {
            var set = PolicyLoader.LoadText(
                "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: web}\n" +
                "spec:\n  selector: all()\n  ingress:\n  - action: Allow\n    http: {methods: [GET], paths: [{prefix: /api}]}\n" +
                "  - action: Deny\n    source: {nets: [10.0.0.0/8]}\n", "replay.yaml");
            var engine = PolicyEngine.Compile(set, CalicoBehavior.Parse(null));
            var options = new ReplayOptions
            {
                Destination = new WorkloadInfo("default", "web", new Dictionary<string, string> { ["app"] = "web" }),
                SourcePrincipal = "spiffe://cluster.local/ns/default/sa/client",
            };
            return (engine, new AccessLogReplayer(engine, options));
        });

        /// <summary>AccessLogParser.TryParse never throws; a parsed line builds a request the engine answers.</summary>
        public static void AccessLog(ReadOnlySpan<byte> line)
        {
            var entry = new AccessLogEntry();
            if (!AccessLogParser.TryParse(line, entry, out var error))
            {
                if (string.IsNullOrEmpty(error)) throw new PropertyViolation("a refused access-log line carries no error text");
                return;
            }
            var (engine, replayer) = Replay.Value;
            Guard(() => engine.Evaluate(replayer.BuildRequest(entry)));
        }

        private static readonly string?[] IstioChoices = { null, "1.4.2", "1.6.8", "1.7.4", "1.9.6", "1.15.2", "1.22.8", "1.28.1" };
        private static readonly string[] CalicoChoices = { "3.12.3", "3.17.2", "3.23.1", "3.29.0", "3.32.1" };

        /// <summary>The options and Istio version <paramref name="choice"/> picks (the fuzz input's first byte).</summary>
        public static (DikastesSidecarOptions Options, IstioTemplateVersion? Istio) InjectorChoice(int choice)
        {
            var istio = IstioChoices[choice % IstioChoices.Length];
            var calico = CalicoChoices[choice / IstioChoices.Length % CalicoChoices.Length];
            return (DikastesSidecarOptions.From(calico, null), istio == null ? null : IstioTemplateVersion.Given(istio));
        }

        /// <summary>
        /// The injector surgery: the ConfigMap reader, Inspect, Set and Remove. Where Set patches an unpatched template,
        /// <c>Remove(Set(t)) == t</c> and <c>Set(Set(t)) == Set(t)</c>.
        /// </summary>
        public static void Injector(string text, int choice)
        {
            Guard(() => InjectorConfigDocument.Load(text, "fuzz.yaml"));
            var (options, istio) = InjectorChoice(choice);
            InjectorTemplateEditor.TryInspect(text);
            bool unpatched = false;
            Guard(() => unpatched = !InjectorTemplateEditor.Inspect(text).IsPatched);
            Guard(() =>
            {
                var set = InjectorTemplateEditor.Set(text, options, istio);
                if (!unpatched || set.Action == InjectorEditAction.Unchanged) return;
                var again = InjectorTemplateEditor.Set(set.After, options, istio);
                if (!string.Equals(again.After, set.After, StringComparison.Ordinal))
                {
                    throw new PropertyViolation($"Set(Set(t)) != Set(t) ({again.Action}) for Istio {istio}, {options}");
                }
                var removed = InjectorTemplateEditor.Remove(set.After);
                if (!string.Equals(removed.After, text, StringComparison.Ordinal))
                {
                    throw new PropertyViolation($"Remove(Set(t)) != t for Istio {istio}, {options}");
                }
            });
            Guard(() => InjectorTemplateEditor.Remove(text));
        }
    }
}
