using System.Collections.Generic;
using System.Text.Json.Nodes;

namespace CalicoAlp.Core.Json
{
    /// <summary>Reading and creating fields of Kubernetes objects held as JSON (a missing field is null, never an exception).</summary>
    public static class JsonFields
    {
        /// <summary>The string at <paramref name="path"/> (another value as JSON text), or null when a step is missing.</summary>
        public static string? GetString(JsonNode? node, params string[] path)
        {
            var cur = node;
            foreach (var p in path)
            {
                cur = cur is JsonObject o && o.TryGetPropertyValue(p, out var next) ? next : null;
                if (cur == null) return null;
            }
            return cur is JsonValue v && v.TryGetValue<string>(out var s) ? s : cur?.ToJsonString();
        }

        /// <summary>A Kubernetes label map (string values only) as a dictionary; empty when absent.</summary>
        public static Dictionary<string, string> StringMap(JsonNode? node)
        {
            var map = new Dictionary<string, string>(System.StringComparer.Ordinal);
            if (node is JsonObject o)
            {
                foreach (var (k, v) in o)
                {
                    if (v is JsonValue jv && jv.TryGetValue<string>(out var s)) map[k] = s;
                }
            }
            return map;
        }

        public static JsonObject EnsureObject(JsonObject parent, string key)
        {
            if (parent[key] is JsonObject o) return o;
            var created = new JsonObject();
            parent[key] = created;
            return created;
        }
    }
}
