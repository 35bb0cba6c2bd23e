using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CalicoAlp.Tests.Alp
{
    /// <summary>
    /// YAML documents as JSON trees, the way the API server reads them: plain scalars that look like integers,
    /// booleans or null are typed (YAML 1.1/1.2 core schema, as sigs.k8s.io/yaml does for these files), quoted ones
    /// stay strings. Map key order is whatever the file has; JsonNode.DeepEquals compares maps by key, lists by position.
    /// </summary>
    internal static class YamlJson
    {
        public static List<JsonNode?> Documents(string text)
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            var docs = new List<JsonNode?>();
            foreach (var d in stream.Documents)
            {
                if (d.RootNode is YamlScalarNode { Value: null or "" }) continue;
                docs.Add(Convert(d.RootNode));
            }
            return docs;
        }

        private static JsonNode? Convert(YamlNode node)
        {
            switch (node)
            {
                case YamlMappingNode map:
                    var obj = new JsonObject();
                    foreach (var (k, v) in map.Children)
                    {
                        var key = ((YamlScalarNode)k).Value ?? throw new InvalidDataException("null key");
                        if (obj.ContainsKey(key)) throw new InvalidDataException($"duplicate key {key} at {k.Start}");
                        obj[key] = Convert(v);
                    }
                    return obj;
                case YamlSequenceNode seq:
                    var arr = new JsonArray();
                    foreach (var item in seq.Children) arr.Add(Convert(item));
                    return arr;
                case YamlScalarNode s:
                    var text = s.Value ?? "";
                    if (s.Style != ScalarStyle.Plain) return JsonValue.Create(text);
                    if (text is "" or "~" or "null" or "Null" or "NULL") return null;
                    if (text is "true" or "True" or "TRUE") return JsonValue.Create(true);
                    if (text is "false" or "False" or "FALSE") return JsonValue.Create(false);
                    if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
                    if (System.Text.RegularExpressions.Regex.IsMatch(text, @"^-?[0-9]+\.[0-9]+$")) return JsonValue.Create(double.Parse(text, CultureInfo.InvariantCulture));
                    return JsonValue.Create(text);
                default:
                    throw new NotSupportedException(node.GetType().Name);
            }
        }
    }
}
