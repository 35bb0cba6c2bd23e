using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Text.Json;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Loading;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Tests.Infrastructure;

namespace CalicoAlp.Tests.Policy
{
    /// <summary>Reads the shared folder's vectors (found by RepoPaths.Shared) and turns ALP vectors into engine input.</summary>
    internal static class SharedVectors
    {
        public static JsonElement Load(string file)
        {
            var path = Path.Combine(RepoPaths.Shared, "vectors", file);
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.Clone();
        }

        private static readonly Lazy<JsonElement> AlpCases = new(() => Load("alp-vectors.json"));
        private static readonly Lazy<JsonElement> SelectorCases = new(() => Load("selector-vectors.json"));

        public static JsonElement Alp(int index) => AlpCases.Value[index];
        public static int AlpCount => AlpCases.Value.GetArrayLength();
        public static JsonElement Selector(int index) => SelectorCases.Value[index];
        public static int SelectorCount => SelectorCases.Value.GetArrayLength();

        /// <summary>Builds the policy set of a vector by feeding its objects through the real loader (as JSON documents).</summary>
        public static PolicySet PolicySetOf(JsonElement c)
        {
            var docs = new List<string>();
            foreach (var key in new[] { "tiers", "policies", "profiles" })
            {
                if (c.TryGetProperty(key, out var arr) && arr.ValueKind == JsonValueKind.Array)
                {
                    foreach (var o in arr.EnumerateArray()) docs.Add(o.GetRawText());
                }
            }
            var set = PolicyLoader.LoadText(string.Join("\n---\n", docs), (string)c.GetProperty("name").GetString()!);
            var namespaces = new List<NamespaceDef>();
            if (c.TryGetProperty("namespaces", out var nss))
            {
                foreach (var ns in nss.EnumerateObject()) namespaces.Add(new NamespaceDef(ns.Name, LabelsOf(ns.Value), SourceLocation.None));
            }
            var sas = new List<ServiceAccountDef>();
            if (c.TryGetProperty("serviceAccounts", out var saj))
            {
                foreach (var sa in saj.EnumerateObject())
                {
                    var parts = sa.Name.Split('/');
                    sas.Add(new ServiceAccountDef(parts[0], parts[1], LabelsOf(sa.Value), SourceLocation.None));
                }
            }
            return set with { Namespaces = namespaces, ServiceAccounts = sas };
        }

        public static Dictionary<string, string> LabelsOf(JsonElement holder)
        {
            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            if (holder.ValueKind == JsonValueKind.Object && holder.TryGetProperty("labels", out var l) && l.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in l.EnumerateObject()) d[p.Name] = p.Value.GetString() ?? "";
            }
            return d;
        }

        public static AlpRequest RequestOf(JsonElement c)
        {
            var r = c.GetProperty("request");
            var src = r.GetProperty("source");
            var dst = r.GetProperty("destination");
            WorkloadInfo? srcWl = null;
            if (src.TryGetProperty("workload", out var w) && w.ValueKind == JsonValueKind.Object)
            {
                srcWl = new WorkloadInfo(w.GetProperty("namespace").GetString()!, w.GetProperty("serviceAccount").GetString()!, LabelsOf(w));
            }
            var dstWl = new WorkloadInfo(dst.GetProperty("namespace").GetString()!, dst.GetProperty("serviceAccount").GetString()!, LabelsOf(dst));
            var profiles = new List<string>();
            foreach (var p in c.GetProperty("profiles").EnumerateArray()) profiles.Add(p.GetProperty("metadata").GetProperty("name").GetString()!);
            string? Opt(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var proto = Opt("protocol") ?? "TCP";
            return new AlpRequest
            {
                SourcePrincipal = Opt("sourcePrincipal") ?? "",
                SourceIP = IPAddress.Parse(src.GetProperty("ip").GetString()!),
                SourcePort = src.GetProperty("port").GetInt32(),
                SourceWorkload = srcWl,
                DestinationIP = IPAddress.Parse(dst.GetProperty("ip").GetString()!),
                DestinationPort = dst.GetProperty("port").GetInt32(),
                DestinationWorkload = dstWl,
                Profiles = profiles,
                Protocol = proto == "UDP" ? 17 : 6,
                Method = Opt("method"),
                Path = Opt("path"),
            };
        }

        /// <summary>Parses versionNotes ("Differs in: &lt;=v3.29 (...): Allow; v3.30.0-v3.31.5: Deny; ...") into (version to test, expected).</summary>
        public static List<(string Version, string Expect)> VersionExpectations(JsonElement c)
        {
            var result = new List<(string, string)>();
            if (!c.TryGetProperty("versionNotes", out var notes)) return result;
            var text = notes.GetString() ?? "";
            int idx = text.IndexOf("Differs in:", StringComparison.Ordinal);
            if (idx < 0) return result;
            foreach (var part in text.Substring(idx + "Differs in:".Length).Split(';'))
            {
                int colon = part.LastIndexOf(':');
                if (colon < 0) continue;
                var expect = part.Substring(colon + 1).Trim().TrimEnd('.');
                var range = part.Substring(0, colon).Trim();
                if (expect != "Allow" && expect != "Deny") continue;
                // Representative releases of each line named in the notes (both ends of a range where meaningful).
                if (range.StartsWith("<=v3.29", StringComparison.Ordinal)) { result.Add(("3.29.0", expect)); result.Add(("3.20.1", expect)); }
                else if (range.StartsWith("v3.30.0-v3.31.5", StringComparison.Ordinal)) { result.Add(("3.30.0", expect)); result.Add(("3.31.5", expect)); }
                else if (range.StartsWith("v3.31.6-v3.32", StringComparison.Ordinal)) { result.Add(("3.31.6", expect)); result.Add(("3.32.0", expect)); }
                else throw new InvalidOperationException("Unrecognised versionNotes range: " + range);
            }
            return result;
        }
    }
}
