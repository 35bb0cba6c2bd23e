using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Json
{
    /// <summary>Structural comparison of JSON values, and field-level differences for results and -WhatIf.</summary>
    public static class JsonDiff
    {
        public static bool DeepEquals(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(a, b);

        /// <summary>The leaf-level differences between <paramref name="before"/> and <paramref name="after"/>, with dotted paths.</summary>
        public static List<FieldChange> Compare(JsonNode? before, JsonNode? after, string path)
        {
            var result = new List<FieldChange>();
            Walk(before, after, path, result);
            return result;
        }

        private static void Walk(JsonNode? before, JsonNode? after, string path, List<FieldChange> result)
        {
            if (JsonNode.DeepEquals(before, after)) return;
            if (before is JsonObject bo && after is JsonObject ao)
            {
                foreach (var key in bo.Select(p => p.Key).Union(ao.Select(p => p.Key)).OrderBy(k => k, System.StringComparer.Ordinal))
                {
                    bo.TryGetPropertyValue(key, out var bv);
                    ao.TryGetPropertyValue(key, out var av);
                    Walk(bv, av, path.Length == 0 ? key : $"{path}.{key}", result);
                }
                return;
            }
            result.Add(new FieldChange(path, before?.ToJsonString(), after?.ToJsonString()));
        }
    }
}
