using CalicoAlp.Core.Diagnostics;
using YamlDotNet.Core;

namespace CalicoAlp.Core.Yaml
{
    /// <summary>Thrown by <see cref="NestingLimitParser"/>: a YAML/JSON document nests deeper than the limit.</summary>
    public sealed class NestingTooDeepException : YamlException
    {
        /// <summary>The error id every reader gives for it.</summary>
        public const string ErrorId = "NestingTooDeep";

        public NestingTooDeepException(Mark start, Mark end, string fieldPath, int limit)
            : base(start, end, $"mappings and sequences nest deeper than {limit} levels")
        {
            FieldPath = fieldPath;
            Limit = limit;
        }

        /// <summary>Where the too-deep node starts (<c>metadata.annotations.a.a</c>, shortened when long).</summary>
        public string FieldPath { get; }

        public int Limit { get; }

        /// <summary>Our error for it, naming <paramref name="source"/> (a file or an object), the line (unless
        /// <paramref name="line"/> is false: text that is not the user's) and the field.</summary>
        public AlpException ToAlpException(string source, bool line = true)
        {
            var where = line && Start.Line > 0 ? $"{source}:{Start.Line}" : source;
            var field = FieldPath.Length == 0 ? "" : $" field '{FieldPath}':";
            return new AlpException(ErrorId, AlpErrorKind.InvalidData,
                $"{where}:{field} mappings and sequences nest deeper than {Limit} levels; refusing to read it (the limit keeps hostile input from crashing PowerShell).",
                where, this)
            {
                RecommendedAction = $"Real Calico and Kubernetes objects nest far less than {Limit} levels: check that this is the file you meant.",
            };
        }
    }
}
