using System.Text.Json;
using System.Text.Json.Nodes;

namespace CalicoAlp.Core.Namespaces
{
    /// <summary>
    /// The fields of a listed pod that CalicoAlp reads (<see cref="WorkloadInventory"/>, <see cref="PilotEgressCheck"/>,
    /// Get-AlpStatus), kept at the same paths so the readers work on them as on whole pods: metadata name, namespace,
    /// uid, labels, annotations (without kubectl's copy of the last applied object) and ownerReferences; spec
    /// serviceAccountName, nodeName and the name, image and restartPolicy of each container and init container; status
    /// phase and podIP. On a cluster of 10,000 pods the whole objects were most of a listing's memory and of the time
    /// spent reading them. A reader that needs another field adds it here (PodFieldsTests checks each one).
    /// </summary>
    public static class PodFields
    {
        private static readonly string[] Metadata = { "name", "namespace", "uid", "labels", "annotations", "ownerReferences" };
        private static readonly string[] Spec = { "serviceAccountName", "nodeName" };
        private static readonly string[] Container = { "name", "image", "restartPolicy" };
        private static readonly string[] Status = { "phase", "podIP" };

        /// <summary>The pod's fields CalicoAlp reads, as a JSON object of their own (nothing refers to <paramref name="pod"/>'s document).</summary>
        public static JsonObject Project(JsonElement pod)
        {
            var result = new JsonObject();
            if (Object(pod, "metadata") is { } metadata)
            {
                var meta = Pick(metadata, Metadata);
                (meta["annotations"] as JsonObject)?.Remove(Alp.AlpConstants.LastAppliedAnnotation);
                result["metadata"] = meta;
            }
            if (Object(pod, "spec") is { } spec)
            {
                var s = Pick(spec, Spec);
                foreach (var list in new[] { "containers", "initContainers" })
                {
                    if (!spec.TryGetProperty(list, out var containers) || containers.ValueKind != JsonValueKind.Array) continue;
                    var array = new JsonArray();
                    foreach (var c in containers.EnumerateArray())
                    {
                        if (c.ValueKind == JsonValueKind.Object) array.Add(Pick(c, Container));
                    }
                    s[list] = array;
                }
                result["spec"] = s;
            }
            if (Object(pod, "status") is { } status) result["status"] = Pick(status, Status);
            return result;
        }

        private static JsonElement? Object(JsonElement parent, string name) =>
            parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

        private static JsonObject Pick(JsonElement obj, string[] names)
        {
            var result = new JsonObject();
            foreach (var name in names)
            {
                if (obj.TryGetProperty(name, out var value)) result[name] = Copy(value);
            }
            return result;
        }

        /// <summary>A copy of <paramref name="value"/> made of nodes of its own.</summary>
        private static JsonNode? Copy(JsonElement value)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.Object:
                    var obj = new JsonObject();
                    foreach (var p in value.EnumerateObject()) obj[p.Name] = Copy(p.Value);
                    return obj;
                case JsonValueKind.Array:
                    var arr = new JsonArray();
                    foreach (var item in value.EnumerateArray()) arr.Add(Copy(item));
                    return arr;
                case JsonValueKind.String:
                    return JsonValue.Create(value.GetString());
                case JsonValueKind.True:
                    return JsonValue.Create(true);
                case JsonValueKind.False:
                    return JsonValue.Create(false);
                case JsonValueKind.Number:
                    return value.TryGetInt64(out var l) ? JsonValue.Create(l) : JsonValue.Create(value.GetDouble());
                default:
                    return null;
            }
        }
    }
}
