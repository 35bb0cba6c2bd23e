using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CalicoAlp.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace CalicoAlp.Core.Injector
{
    public enum DocumentFormat
    {
        Yaml,
        Json,
    }

    /// <summary>
    /// An injector ConfigMap (or a "patch" document that only has <c>data.config</c>, as Calico 3.12-3.16 shipped) read
    /// from YAML or JSON. <see cref="WithConfig"/> writes it back changing only the bytes of the config string: in YAML
    /// the rest of the document is kept byte for byte and the config is written as a literal block scalar with the
    /// original's indentation, so a document whose config did not change comes back identical.
    /// </summary>
    public sealed class InjectorConfigDocument
    {
        private const string Bom = "\uFEFF";
        private readonly string _text;
        private readonly bool _bom;
        // YAML: where the config value sits in _text (without BOM).
        private readonly int _yamlKeyColumn;
        private readonly Mark _valueStart;
        private readonly Mark _valueEnd;
        private readonly ScalarStyle _style;

        private InjectorConfigDocument(string text, bool bom, DocumentFormat format, string config, string? values, string? kind, string? name, string? ns,
            int keyColumn, Mark start, Mark end, ScalarStyle style)
        {
            _text = text;
            _bom = bom;
            Format = format;
            Config = config;
            Values = values;
            Kind = kind;
            Name = name;
            Namespace = ns;
            _yamlKeyColumn = keyColumn;
            _valueStart = start;
            _valueEnd = end;
            _style = style;
        }

        public DocumentFormat Format { get; }
        /// <summary>The decoded <c>data.config</c> string.</summary>
        public string Config { get; }
        /// <summary>The decoded <c>data.values</c> string (Istio 1.2+), if present.</summary>
        public string? Values { get; }
        public string? Kind { get; }
        public string? Name { get; }
        public string? Namespace { get; }
        /// <summary>True for a document without kind (Calico's <c>kubectl patch</c> files).</summary>
        public bool IsPatchDocument => Kind == null;

        public static InjectorConfigDocument Load(string text, string? source = null)
        {
            ArgumentNullException.ThrowIfNull(text);
            var bom = text.StartsWith(Bom, StringComparison.Ordinal);
            if (bom) text = text[1..];
            return text.TrimStart().StartsWith('{') ? LoadJson(text, bom, source) : LoadYaml(text, bom, source);
        }

        private static AlpException NotAConfigMap(string? source, string why) =>
            new("InjectorConfigMapInvalid", AlpErrorKind.InvalidData,
                $"{source ?? "The document"} is not an istio-sidecar-injector ConfigMap or patch: {why}.", source)
            { RecommendedAction = "Pass a ConfigMap (kubectl get configmap -n istio-system istio-sidecar-injector -o yaml) or a document with data.config." };

        // ------------------------------------------------------------------ JSON

        private static InjectorConfigDocument LoadJson(string text, bool bom, string? source)
        {
            JsonNode? root;
            try
            {
                root = JsonNode.Parse(text);
            }
            catch (JsonException ex)
            {
                throw NotAConfigMap(source, $"invalid JSON ({ex.Message})");
            }
            if (root is not JsonObject obj) throw NotAConfigMap(source, "the JSON is not an object");
            if (obj["data"] is not JsonObject data) throw NotAConfigMap(source, "it has no data");
            if (data["config"] is not JsonValue cv || !cv.TryGetValue<string>(out var config)) throw NotAConfigMap(source, "it has no string data.config");
            string? values = data["values"] is JsonValue vv && vv.TryGetValue<string>(out var vs) ? vs : null;
            var kind = obj["kind"]?.GetValue<string>();
            CheckKind(kind, source);
            var meta = obj["metadata"] as JsonObject;
            return new InjectorConfigDocument(text, bom, DocumentFormat.Json, config, values, kind,
                meta?["name"]?.GetValue<string>(), meta?["namespace"]?.GetValue<string>(), 0, Mark.Empty, Mark.Empty, ScalarStyle.Any);
        }

        private static void CheckKind(string? kind, string? source)
        {
            if (kind != null && kind != "ConfigMap") throw NotAConfigMap(source, $"its kind is {kind}");
        }

        // ------------------------------------------------------------------ YAML

        private sealed class ScalarAt
        {
            public required Scalar Value { get; init; }
            public required Scalar Key { get; init; }
        }

        private static InjectorConfigDocument LoadYaml(string text, bool bom, string? source)
        {
            var found = new Dictionary<string, ScalarAt>(StringComparer.Ordinal);
            try
            {
                // Walk recurses per mapping level: the depth is bounded at the event level first.
                var parser = new Yaml.NestingLimitParser(new Parser(new StringReader(text)), InputLimits.DocumentNesting);
                parser.Consume<StreamStart>();
                while (parser.TryConsume<DocumentStart>(out _))
                {
                    found.Clear();
                    Walk(parser, "", found);
                    parser.Consume<DocumentEnd>();
                    if (found.ContainsKey("data.config")) break;
                }
            }
            catch (Yaml.NestingTooDeepException ex)
            {
                throw ex.ToAlpException(source ?? "The document");
            }
            catch (Yaml.YamlLimitException ex)
            {
                throw ex.ToAlpException(source ?? "The document");
            }
            catch (YamlException ex)
            {
                throw NotAConfigMap(source, $"invalid YAML at line {ex.Start.Line} ({ex.Message})");
            }
            if (!found.TryGetValue("data.config", out var config)) throw NotAConfigMap(source, "it has no data.config");
            var kind = found.TryGetValue("kind", out var k) ? k.Value.Value : null;
            CheckKind(kind, source);
            return new InjectorConfigDocument(text, bom, DocumentFormat.Yaml, config.Value.Value,
                found.TryGetValue("data.values", out var v) ? v.Value.Value : null, kind,
                found.TryGetValue("metadata.name", out var n) ? n.Value.Value : null,
                found.TryGetValue("metadata.namespace", out var ns) ? ns.Value.Value : null,
                (int)config.Key.Start.Column - 1, config.Value.Start, config.Value.End, config.Value.Style);
        }

        /// <summary>Records the scalars at the paths we need (kind, metadata.name/namespace, data.config/values).</summary>
        private static void Walk(IParser parser, string path, Dictionary<string, ScalarAt> found)
        {
            if (parser.TryConsume<MappingStart>(out _))
            {
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    if (parser.TryConsume<Scalar>(out var key))
                    {
                        var child = path.Length == 0 ? key.Value : path + "." + key.Value;
                        if (parser.Accept<Scalar>(out var value) && child is "kind" or "metadata.name" or "metadata.namespace" or "data.config" or "data.values")
                        {
                            found[child] = new ScalarAt { Key = key, Value = value };
                        }
                        Walk(parser, child, found);
                    }
                    else
                    {
                        Skip(parser);
                        Skip(parser);
                    }
                }
            }
            else
            {
                Skip(parser);
            }
        }

        private static void Skip(IParser parser)
        {
            parser.SkipThisAndNestedEvents();
        }

        // ------------------------------------------------------------------ writing

        /// <summary>The document with <c>data.config</c> replaced; everything else as it was.</summary>
        public string WithConfig(string config)
        {
            ArgumentNullException.ThrowIfNull(config);
            var output = Format == DocumentFormat.Json ? WriteJson(config) : WriteYaml(config);
            return _bom ? Bom + output : output;
        }

        private string WriteJson(string config)
        {
            var bytes = Encoding.UTF8.GetBytes(_text);
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var path = new List<string>();
            string? pending = null;
            long start = -1, length = 0;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        pending = reader.GetString();
                        break;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        path.Add(pending ?? "[]");
                        pending = null;
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        path.RemoveAt(path.Count - 1);
                        break;
                    case JsonTokenType.String when pending == "config" && path.Count == 2 && path[1] == "data":
                        start = reader.TokenStartIndex;
                        length = reader.ValueSpan.Length + 2;
                        pending = null;
                        break;
                    default:
                        pending = null;
                        break;
                }
                if (start >= 0) break;
            }
            if (start < 0) throw new AlpException("InjectorConfigMapInvalid", AlpErrorKind.InvalidData, "data.config was not found again in the JSON document.");
            var encoded = JsonSerializer.Serialize(config, new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            var result = Encoding.UTF8.GetString(bytes, 0, (int)start) + encoded + Encoding.UTF8.GetString(bytes, (int)(start + length), bytes.Length - (int)(start + length));
            var check = Load(result);
            if (!string.Equals(check.Config, config, StringComparison.Ordinal)) throw new AlpException(InjectorTemplateEditor.UnprovableErrorId, AlpErrorKind.InvalidData, "The JSON document would not read back the new data.config.");
            return result;
        }

        private string WriteYaml(string config)
        {
            int from, to, contentIndent;
            if (_style == ScalarStyle.Literal || _style == ScalarStyle.Folded)
            {
                (from, to, contentIndent) = BlockScalarRange();
            }
            else
            {
                from = (int)_valueStart.Index;
                to = (int)_valueEnd.Index;
                contentIndent = _yamlKeyColumn + 2;
            }
            var prefix = _text[..from];
            var suffix = _text[to..];

            foreach (var candidate in new[] { Literal(config, contentIndent), DoubleQuoted(config) })
            {
                if (candidate == null) continue;
                var result = prefix + candidate + suffix;
                try
                {
                    var check = Load(result);
                    if (string.Equals(check.Config, config, StringComparison.Ordinal) && string.Equals(check.Values, Values, StringComparison.Ordinal)) return result;
                }
                catch (AlpException)
                {
                    // try the next form
                }
            }
            throw new AlpException(InjectorTemplateEditor.UnprovableErrorId, AlpErrorKind.InvalidData, "The new data.config could not be written back into the YAML document so that it reads back identically.");
        }

        /// <summary>The header-to-last-content-line range of the block scalar, and its content indentation.</summary>
        private (int From, int To, int Indent) BlockScalarRange()
        {
            var from = (int)_valueStart.Index;
            var eol = _text.IndexOf('\n', from);
            var header = eol < 0 ? _text[from..] : _text[from..eol];
            var keep = header.Contains('+');
            if (eol < 0) return (from, _text.Length, _yamlKeyColumn + 2);
            var pos = eol + 1;
            var to = eol;
            var indent = -1;
            while (pos < _text.Length)
            {
                var next = _text.IndexOf('\n', pos);
                var lineEnd = next < 0 ? _text.Length : next;
                var line = _text[pos..lineEnd];
                var blank = line.Trim(' ', '\r').Length == 0;
                var ind = line.Length - line.TrimStart(' ').Length;
                if (!blank && ind <= _yamlKeyColumn) break;
                if (!blank)
                {
                    if (indent < 0) indent = ind;
                    to = lineEnd;
                }
                else if (keep)
                {
                    to = lineEnd;
                }
                if (next < 0) break;
                pos = next + 1;
            }
            return (from, to, indent < 0 ? _yamlKeyColumn + 2 : indent);
        }

        private string? Literal(string value, int indent)
        {
            if (value.Length == 0) return null;
            if (value.Any(c => char.IsControl(c) && c != '\n' && c != '\t')) return null;
            var trailing = value.Length - value.TrimEnd('\n').Length;
            var chomp = trailing == 0 ? "-" : trailing == 1 ? "" : "+";
            var body = trailing == 0 ? value : value[..^1];
            var lines = body.Split('\n');
            var firstContent = lines.FirstOrDefault(l => l.Length > 0);
            var indicator = firstContent != null && firstContent.StartsWith(' ') ? (indent - _yamlKeyColumn).ToString(System.Globalization.CultureInfo.InvariantCulture) : "";
            var pad = new string(' ', indent);
            var sb = new StringBuilder("|").Append(indicator).Append(chomp);
            foreach (var l in lines)
            {
                sb.Append('\n');
                if (l.Length > 0) sb.Append(pad).Append(l);
            }
            return sb.ToString();
        }

        private static string DoubleQuoted(string value)
        {
            var sb = new StringBuilder("\"");
            foreach (var c in value)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\r': sb.Append("\\r"); break;
                    default:
                        if (char.IsControl(c)) sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                        else sb.Append(c);
                        break;
                }
            }
            return sb.Append('"').ToString();
        }
    }
}
