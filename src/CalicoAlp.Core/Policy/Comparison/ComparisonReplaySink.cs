using System;
using System.Collections.Generic;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Replay;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Policy.Comparison
{
    /// <summary>
    /// The replay's sink for a comparison: each request the replay built and decided with the reference set is evaluated
    /// against the difference set; errors and progress go on to the caller's sink.
    /// </summary>
    internal sealed class ComparisonReplaySink : IReplaySink
    {
        private readonly PolicyComparer _comparer;
        private readonly IReplaySink _next;
        private readonly Predicate<ChangeKind> _keep;
        private readonly List<ComparedRequest> _kept;

        public ComparisonReplaySink(PolicyComparer comparer, IReplaySink next, Predicate<ChangeKind> keep, List<ComparedRequest> kept)
        {
            _comparer = comparer;
            _next = next;
            _keep = keep;
            _kept = kept;
        }

        /// <summary>Lines the reference set decided but the difference set could not evaluate.</summary>
        public long DifferenceErrors { get; private set; }

        public void Decision(string file, long line, AlpRequest request, PolicyDecision decision)
        {
            ChangeKind change;
            PolicyDecision difference;
            try
            {
                change = _comparer.CompareDecided(request, decision, out difference);
            }
            catch (AlpException ex)
            {
                DifferenceErrors++;
                _next.Error(file, line, ex.Message);
                return;
            }
            if (_keep(change)) _kept.Add(new ComparedRequest(change, request, decision, difference, file, line));
        }

        public void Error(string file, long line, string message) => _next.Error(file, line, message);

        public void Progress(long lines, int percent, string file) => _next.Progress(lines, percent, file);
    }
}
