using CalicoAlp.Core.Diagnostics;
using YamlDotNet.Core;

namespace CalicoAlp.Core.Yaml
{
    /// <summary>
    /// Thrown by <see cref="NestingLimitParser"/> when a YAML/JSON stream goes beyond a bound other than depth: it expands
    /// (through aliases) to more nodes than <see cref="InputLimits.MaxYamlNodes"/>, holds more documents than
    /// <see cref="InputLimits.MaxYamlDocuments"/>, uses a mapping or sequence as a mapping key, or an alias refers to the
    /// node that contains it. Each has its own <see cref="ErrorId"/>.
    /// </summary>
    public sealed class YamlLimitException : YamlException
    {
        public const string ExpansionErrorId = "YamlExpansionTooLarge";
        public const string DocumentsErrorId = "YamlTooManyDocuments";
        public const string ComplexKeyErrorId = "YamlComplexKey";
        public const string AliasCycleErrorId = "YamlAliasCycle";

        public YamlLimitException(string errorId, Mark start, Mark end, string fieldPath, string problem, string advice)
            : base(start, end, problem)
        {
            ErrorId = errorId;
            FieldPath = fieldPath;
            Problem = problem;
            Advice = advice;
        }

        public string ErrorId { get; }
        public string FieldPath { get; }
        public string Problem { get; }
        public string Advice { get; }

        /// <summary>Our error, naming <paramref name="source"/>, the line (unless <paramref name="line"/> is false) and the field.</summary>
        public AlpException ToAlpException(string source, bool line = true)
        {
            var where = line && Start.Line > 0 ? $"{source}:{Start.Line}" : source;
            var field = FieldPath.Length == 0 ? "" : $" field '{FieldPath}':";
            return new AlpException(ErrorId, AlpErrorKind.InvalidData, $"{where}:{field} {Problem}; refusing to read it.", where, this)
            {
                RecommendedAction = Advice,
            };
        }
    }
}
