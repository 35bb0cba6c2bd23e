using System.Collections.Generic;
using System.Globalization;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Model;
using YamlDotNet.RepresentationModel;

namespace CalicoAlp.Core.Policy.Loading
{
    /// <summary>The document being read: builds errors that name file, document, line and field.</summary>
    internal sealed class DocContext
    {
        /// <param name="positions">False for an object that was not read from a user's file (a cluster object
        /// serialised for the loader): its errors and locations name <paramref name="file"/> without line or document.</param>
        public DocContext(string file, int document, bool positions = true)
        {
            File = file;
            Document = document;
            Positions = positions;
        }

        public string File { get; }
        /// <summary>0-based document index in the file.</summary>
        public int Document { get; }
        public bool Positions { get; }

        public static int LineOf(YamlNode? node) => node == null ? 0 : (int)node.Start.Line;

        private int Line(YamlNode? node) => Positions ? LineOf(node) : 0;

        public SourceLocation Location(YamlNode node) => new(File, Document, Line(node));

        public AlpException Error(string errorId, YamlNode? node, string field, string message, AlpErrorKind kind = AlpErrorKind.InvalidData)
        {
            int line = Line(node);
            string where = line > 0 ? $"{File}:{line}" : File;
            string document = Positions ? $" document {Document + 1}:" : "";
            string fieldPart = string.IsNullOrEmpty(field) ? "" : $" field '{field}':";
            return new AlpException(errorId, kind, $"{where}:{document}{fieldPart} {message}", where);
        }

        public AlpException Invalid(YamlNode? node, string field, string message) => Error("PolicyFileInvalid", node, field, message);
    }

    /// <summary>Typed access to YAML mapping fields with precise errors.</summary>
    internal static class YamlFields
    {
        public static YamlNode? Get(YamlMappingNode map, string key)
        {
            foreach (var pair in map.Children)
            {
                if (pair.Key is YamlScalarNode s && s.Value == key) return IsNull(pair.Value) ? null : pair.Value;
            }
            return null;
        }

        public static bool IsNull(YamlNode node) =>
            node is YamlScalarNode s && s.Style == YamlDotNet.Core.ScalarStyle.Plain &&
            (s.Value == null || s.Value == "~" || s.Value == "null" || s.Value == "Null" || s.Value == "NULL" || s.Value.Length == 0);

        public static YamlMappingNode? Map(DocContext ctx, YamlMappingNode map, string key, string path)
        {
            var node = Get(map, key);
            if (node == null) return null;
            if (node is YamlMappingNode m) return m;
            throw ctx.Invalid(node, path, "expected a mapping (object)");
        }

        public static YamlSequenceNode? Seq(DocContext ctx, YamlMappingNode map, string key, string path)
        {
            var node = Get(map, key);
            if (node == null) return null;
            if (node is YamlSequenceNode s) return s;
            throw ctx.Invalid(node, path, "expected a list");
        }

        public static string? Str(DocContext ctx, YamlMappingNode map, string key, string path)
        {
            var node = Get(map, key);
            if (node == null) return null;
            if (node is YamlScalarNode s) return s.Value ?? "";
            throw ctx.Invalid(node, path, "expected a string");
        }

        public static string ScalarText(DocContext ctx, YamlNode node, string path)
        {
            if (node is YamlScalarNode s) return s.Value ?? "";
            throw ctx.Invalid(node, path, "expected a scalar value");
        }

        public static double? Number(DocContext ctx, YamlMappingNode map, string key, string path)
        {
            var node = Get(map, key);
            if (node == null) return null;
            var text = ScalarText(ctx, node, path);
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !double.IsNaN(d)) return d;
            throw ctx.Invalid(node, path, $"expected a number but found '{text}'");
        }

        public static List<string> StrList(DocContext ctx, YamlMappingNode map, string key, string path)
        {
            var result = new List<string>();
            var seq = Seq(ctx, map, key, path);
            if (seq == null) return result;
            int i = 0;
            foreach (var item in seq.Children)
            {
                result.Add(ScalarText(ctx, item, $"{path}[{i}]"));
                i++;
            }
            return result;
        }

        public static Dictionary<string, string> Labels(DocContext ctx, YamlMappingNode map, string key, string path)
        {
            var result = new Dictionary<string, string>(System.StringComparer.Ordinal);
            var m = Map(ctx, map, key, path);
            if (m == null) return result;
            foreach (var pair in m.Children)
            {
                var k = ScalarText(ctx, pair.Key, path);
                result[k] = IsNull(pair.Value) ? "" : ScalarText(ctx, pair.Value, $"{path}.{k}");
            }
            return result;
        }
    }
}
