using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using CalicoAlp.Core.Diagnostics;
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
    /// It also bounds what depth alone does not (throwing <see cref="YamlLimitException"/>): the nodes the stream expands
    /// to, counting each alias as the size of the node it repeats (a "billion laughs" bomb), the number of documents, a
    /// mapping or sequence used as a mapping key (YamlDotNet hashes such keys recursively: exponential with aliases; no
    /// Kubernetes object has one), and an alias inside the node it names (a cycle our walkers would follow for ever).
    /// Every 4,096 events it checks the cancellation token, so Ctrl+C stops a long load.
    /// </summary>
    public sealed class NestingLimitParser : IParser
    {
        private readonly IParser _inner;
        private readonly int _limit;
        private readonly List<Frame> _frames = new();
        private readonly long _maxNodes;
        private readonly int _maxDocuments;
        private readonly CancellationToken _cancellationToken;
        /// <summary>Anchors of the current document: expanded size, and whether the node is a scalar.</summary>
        private readonly Dictionary<string, (long Size, bool Scalar)> _anchors = new(System.StringComparer.Ordinal);
        private long _nodes;
        private int _documents;
        private long _events;

        public NestingLimitParser(IParser inner, int limit)
            : this(inner, limit, InputLimits.MaxYamlNodes, InputLimits.MaxYamlDocuments, CancellationToken.None)
        {
        }

        public NestingLimitParser(IParser inner, int limit, long maxNodes, int maxDocuments, CancellationToken cancellationToken)
        {
            _inner = inner;
            _limit = limit;
            _maxNodes = maxNodes;
            _maxDocuments = maxDocuments;
            _cancellationToken = cancellationToken;
        }

        /// <summary>Nodes read so far, each alias counted as the size of the node it repeats.</summary>
        public long ExpandedNodes => _nodes;

        public ParsingEvent? Current => _inner.Current;

        /// <summary>
        /// The inner parser's next event. YamlDotNet's scanner throws a bare InvalidOperationException on some malformed
        /// plain scalars (found by the injector property test, FindingRegressionTests); it becomes a YamlException here,
        /// so that every reader refuses it as invalid YAML with its own error, like any other syntax error.
        /// </summary>
        private bool Advance()
        {
            try
            {
                return _inner.MoveNext();
            }
            catch (InvalidOperationException ex)
            {
                var at = _inner.Current?.End ?? Mark.Empty;
                throw new YamlException(at, at, "the YAML scanner could not read the text after this point", ex);
            }
        }

        public bool MoveNext()
        {
            if ((++_events & 4095) == 0) _cancellationToken.ThrowIfCancellationRequested();
            if (!Advance()) return false;
            var current = _inner.Current!;
            switch (current)
            {
                case DocumentStart:
                    if (++_documents > _maxDocuments)
                    {
                        throw Limit(YamlLimitException.DocumentsErrorId, current,
                            $"the stream holds more than {_maxDocuments.ToString("N0", CultureInfo.InvariantCulture)} documents",
                            "Real files hold far fewer objects: split the file, or put the objects in one List.");
                    }
                    _anchors.Clear(); // anchors are local to a document
                    break;
                case MappingStart:
                case SequenceStart:
                    if (_frames.Count >= _limit)
                    {
                        throw new NestingTooDeepException(current.Start, current.End, FieldPath(), _limit);
                    }
                    RefuseComplexKey(current);
                    Count(1, current);
                    _frames.Add(new Frame
                    {
                        IsMapping = current is MappingStart,
                        ExpectKey = true,
                        Anchor = current is NodeEvent n && !n.Anchor.IsEmpty ? n.Anchor.Value : null,
                        StartNodes = _nodes,
                    });
                    break;
                case MappingEnd:
                case SequenceEnd:
                    if (_frames.Count > 0)
                    {
                        var done = _frames[^1];
                        _frames.RemoveAt(_frames.Count - 1);
                        if (done.Anchor != null) _anchors[done.Anchor] = (_nodes - done.StartNodes + 1, false);
                    }
                    NodeDone(null);
                    break;
                case Scalar scalar:
                    Count(1, current);
                    if (!scalar.Anchor.IsEmpty) _anchors[scalar.Anchor.Value] = (1, true);
                    NodeDone(scalar.Value);
                    break;
                case AnchorAlias alias:
                    {
                        var name = alias.Value.Value;
                        foreach (var f in _frames)
                        {
                            if (f.Anchor == name)
                            {
                                throw Limit(YamlLimitException.AliasCycleErrorId, current,
                                    $"the alias *{name} is inside the node &{name} it repeats (a cycle)",
                                    "Remove the alias: Kubernetes and Calico objects are trees.");
                            }
                        }
                        // An unknown anchor is YamlDotNet's error to report (when the stream is loaded).
                        if (_anchors.TryGetValue(name, out var anchored))
                        {
                            if (!anchored.Scalar) RefuseComplexKey(current);
                            Count(anchored.Size, current);
                        }
                        NodeDone(null);
                        break;
                    }
            }
            return true;
        }

        private void Count(long nodes, ParsingEvent at)
        {
            _nodes += nodes;
            if (_nodes > _maxNodes)
            {
                throw Limit(YamlLimitException.ExpansionErrorId, at,
                    $"the document expands to more than {_maxNodes.ToString("N0", CultureInfo.InvariantCulture)} nodes (aliases count once per use)",
                    "A file this large or aliases repeated this often are not a real policy set: check the file (a YAML alias bomb?), or split it.");
            }
        }

        /// <summary>A mapping key must be a scalar (JSON, which kubectl and calicoctl convert YAML to, has only string keys).</summary>
        private void RefuseComplexKey(ParsingEvent at)
        {
            if (_frames.Count > 0 && _frames[^1].IsMapping && _frames[^1].ExpectKey)
            {
                throw Limit(YamlLimitException.ComplexKeyErrorId, at,
                    "a mapping key is itself a mapping or a list",
                    "Keys of Kubernetes and Calico objects are strings: check the indentation and the '?' key markers.");
            }
        }

        private YamlLimitException Limit(string errorId, ParsingEvent at, string problem, string advice) =>
            new(errorId, at.Start, at.End, FieldPath(), problem, advice);

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
            public string? Anchor { get; init; }
            public long StartNodes { get; init; }
        }
    }
}
