using System.Collections.Generic;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace CalicoAlp.Core.Yaml
{
    /// <summary>
    /// An <see cref="IParser"/> that passes YamlDotNet's events through and throws <see cref="NestingTooDeepException"/>
    /// as soon as mappings and sequences nest deeper than a limit. YamlDotNet's parser itself is iterative, but building a
    /// representation model (<c>YamlStream.Load</c>), deserialising and our own walkers recurse once per level: wrapped
    /// in this parser they never go deeper than the limit, whatever the input. It also tracks the field path
    /// (<c>metadata.annotations.a[0]</c>) so that the error can name the field.
    /// </summary>
    public sealed class NestingLimitParser : IParser
    {
        private readonly IParser _inner;
        private readonly int _limit;
        private readonly List<Frame> _frames = new();

        public NestingLimitParser(IParser inner, int limit)
        {
            _inner = inner;
            _limit = limit;
        }

        public ParsingEvent? Current => _inner.Current;

        public bool MoveNext()
        {
            if (!_inner.MoveNext()) return false;
            switch (_inner.Current)
            {
                case MappingStart:
                case SequenceStart:
                    if (_frames.Count >= _limit)
                    {
                        throw new NestingTooDeepException(_inner.Current.Start, _inner.Current.End, FieldPath(), _limit);
                    }
                    _frames.Add(new Frame { IsMapping = _inner.Current is MappingStart, ExpectKey = true });
                    break;
                case MappingEnd:
                case SequenceEnd:
                    if (_frames.Count > 0) _frames.RemoveAt(_frames.Count - 1);
                    NodeDone(null);
                    break;
                case Scalar scalar:
                    NodeDone(scalar.Value);
                    break;
                case AnchorAlias:
                    NodeDone(null);
                    break;
            }
            return true;
        }

        /// <summary>A node ended in the innermost collection: a mapping alternates key and value, a sequence counts items.</summary>
        private void NodeDone(string? scalarValue)
        {
            if (_frames.Count == 0) return;
            var frame = _frames[^1];
            if (frame.IsMapping)
            {
                if (frame.ExpectKey) frame.Key = scalarValue ?? "?";
                frame.ExpectKey = !frame.ExpectKey;
            }
            else
            {
                frame.Index++;
            }
        }

        /// <summary>The path of the node being opened: the first and last few segments when it is long.</summary>
        private string FieldPath()
        {
            const int head = 6, tail = 2;
            var segments = new List<string>(_frames.Count);
            foreach (var f in _frames)
            {
                if (f.IsMapping) segments.Add(f.ExpectKey ? "?" : Truncate(f.Key ?? "?"));
                else segments.Add("[" + f.Index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]");
            }
            var sb = new System.Text.StringBuilder();
            for (int i = 0; i < segments.Count; i++)
            {
                if (i == head && segments.Count > head + tail)
                {
                    sb.Append("...(").Append(segments.Count - head - tail).Append(" more)...");
                    i = segments.Count - tail;
                    sb.Append(segments[i]);
                    continue;
                }
                if (sb.Length > 0 && !segments[i].StartsWith('[')) sb.Append('.');
                sb.Append(segments[i]);
            }
            return sb.ToString();
        }

        private static string Truncate(string key) => key.Length <= 40 ? key : key[..40] + "...";

        private sealed class Frame
        {
            public bool IsMapping { get; init; }
            public bool ExpectKey { get; set; }
            public string? Key { get; set; }
            public int Index { get; set; }
        }
    }
}
