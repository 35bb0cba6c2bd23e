using System;
using System.Collections.Generic;
using System.Threading;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Replay;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Policy.Comparison
{
    /// <summary>
    /// Evaluates each request against two compiled policy sets, the reference (what applies now) and the difference (the
    /// proposed change), and counts how the decisions change. Requests come from an access-log replay (read once; see
    /// <see cref="CompareLogs"/>) or one at a time (<see cref="Compare(AlpRequest, out PolicyDecision, out PolicyDecision)"/>).
    /// </summary>
    public sealed class PolicyComparer
    {
        private readonly RuleHitCounter _referenceHits = new();
        private readonly RuleHitCounter _differenceHits = new();
        private readonly System.Diagnostics.Stopwatch _watch = System.Diagnostics.Stopwatch.StartNew();
        private readonly Dictionary<System.Net.IPAddress, string> _ipText = new();

        /// <param name="reference">The compiled reference set.</param>
        /// <param name="difference">The compiled difference set (same Calico version, same workloads: see <see cref="ComparedSets"/>).</param>
        /// <param name="sets">The sets they were compiled from (for the identical-sets flag and the promoted count), if known.</param>
        /// <param name="referenceSource">Where the reference set was read from ("files", "cluster 'ctx'").</param>
        public PolicyComparer(PolicyEngine reference, PolicyEngine difference, ComparedSets? sets = null, string referenceSource = "files")
        {
            Reference = reference;
            Difference = difference;
            Summary.IdenticalSets = sets?.Identical ?? false;
            Summary.PromotedStaged = sets?.PromotedStaged ?? 0;
            Summary.CalicoVersion = difference.Behavior.ToString();
            Summary.ReferenceSource = referenceSource;
        }

        public PolicyEngine Reference { get; }
        public PolicyEngine Difference { get; }
        /// <summary>The counts so far (complete after <see cref="Complete()"/> or <see cref="CompareLogs"/>).</summary>
        public ComparisonSummary Summary { get; } = new();

        /// <summary>How <paramref name="difference"/> differs from <paramref name="reference"/> for the same request.</summary>
        public static ChangeKind Classify(in PolicyDecision reference, in PolicyDecision difference)
        {
            if (reference.Verdict != difference.Verdict)
            {
                return difference.Verdict == Verdict.Deny ? ChangeKind.NewlyDenied : ChangeKind.NewlyAllowed;
            }
            bool same = reference.Status == difference.Status && reference.Reason == difference.Reason &&
                        reference.RuleIndex == difference.RuleIndex && reference.Action == difference.Action &&
                        string.Equals(reference.Policy, difference.Policy, StringComparison.Ordinal) &&
                        string.Equals(reference.Profile, difference.Profile, StringComparison.Ordinal) &&
                        string.Equals(reference.Tier, difference.Tier, StringComparison.Ordinal);
            return same ? ChangeKind.Unchanged : ChangeKind.OtherRule;
        }

        /// <summary>A request whose reference decision is known (the replay took it): evaluates it against the difference set.</summary>
        public ChangeKind CompareDecided(AlpRequest request, in PolicyDecision reference, out PolicyDecision difference)
        {
            try
            {
                difference = Difference.Evaluate(request);
            }
            catch (AlpException ex)
            {
                throw ComparedSets.InRole(PolicySetRole.Difference, ex);
            }
            _differenceHits.Count(difference, request.Direction);
            var change = Classify(reference, difference);
            Count(request, change, difference);
            return change;
        }

        /// <summary>A request on its own (piped): evaluates it against both sets.</summary>
        public ChangeKind Compare(AlpRequest request, out PolicyDecision reference, out PolicyDecision difference)
        {
            try
            {
                reference = Reference.Evaluate(request);
            }
            catch (AlpException ex)
            {
                throw ComparedSets.InRole(PolicySetRole.Reference, ex);
            }
            _referenceHits.Count(reference, request.Direction);
            Summary.Lines++;
            return CompareDecided(request, reference, out difference);
        }

        /// <summary>A request that could not be built or evaluated (reported by the caller).</summary>
        public void CountError()
        {
            Summary.Lines++;
            Summary.Errors++;
        }

        private void Count(AlpRequest request, ChangeKind change, in PolicyDecision difference)
        {
            Summary.Compared++;
            switch (change)
            {
                case ChangeKind.Unchanged: Summary.Unchanged++; return;
                case ChangeKind.NewlyDenied: Summary.NewlyDenied++; break;
                case ChangeKind.NewlyAllowed: Summary.NewlyAllowed++; break;
                case ChangeKind.OtherRule: Summary.OtherRule++; break;
            }
            var by = difference.Policy ?? (difference.Profile != null ? "profile " + difference.Profile : difference.Reason.ToString());
            if (!Summary.ByPolicy.TryGetValue(by, out var policyCount)) Summary.ByPolicy[by] = policyCount = new ComparisonCount();
            policyCount.Add(change);
            var source = request.SourcePrincipal.Length > 0 ? request.SourcePrincipal : IpText(request.SourceIP);
            if (!Summary.BySource.TryGetValue(source, out var sourceCount)) Summary.BySource[source] = sourceCount = new ComparisonCount();
            sourceCount.Add(change);
        }

        private string IpText(System.Net.IPAddress? ip)
        {
            if (ip == null) return "-";
            if (_ipText.TryGetValue(ip, out var text)) return text;
            text = ip.ToString();
            if (_ipText.Count < 65_536) _ipText[ip] = text;
            return text;
        }

        /// <summary>Piped requests: the rule hits and the elapsed time filled in.</summary>
        public ComparisonSummary Complete()
        {
            Summary.ReferenceRuleHits = _referenceHits.ToList();
            return Finish();
        }

        private ComparisonSummary Finish()
        {
            Summary.RuleHits = _differenceHits.ToList();
            Summary.UnusedRules = _differenceHits.Unused(Difference);
            Summary.Elapsed = _watch.Elapsed;
            return Summary;
        }

        /// <summary>
        /// Replays the logs once through the reference set (the access-log replay builds each request, as for
        /// Test-AlpRequest -AccessLogPath) and evaluates every request it builds against the difference set too.
        /// Requests whose change <paramref name="keep"/> accepts are added to <paramref name="kept"/> in log order.
        /// </summary>
        public ComparisonSummary CompareLogs(IReadOnlyList<string> files, ReplayOptions options, IReplaySink errorsAndProgress,
            Predicate<ChangeKind> keep, List<ComparedRequest> kept, CancellationToken cancellationToken)
        {
            var replayer = new AccessLogReplayer(Reference, options);
            var sink = new ComparisonReplaySink(this, errorsAndProgress, keep, kept);
            var replay = replayer.Replay(files, sink, cancellationToken);
            Summary.Files = replay.Files;
            Summary.Lines = replay.Lines;
            Summary.Errors = replay.Errors + sink.DifferenceErrors;
            Summary.FileNames.AddRange(replay.FileNames);
            Summary.ReferenceRuleHits = replay.RuleHits;
            return Finish();
        }
    }
}
