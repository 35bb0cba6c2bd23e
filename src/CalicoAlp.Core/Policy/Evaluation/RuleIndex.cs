using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Threading;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>
    /// Every rule of one direction (ingress or egress) of every policy, numbered in evaluation order (tier order, then policy
    /// order, then rule order). Each rule is filed under one of its criteria, the most selective one it has (service-account
    /// names, nets, the positive IP set, the HTTP method, ports; <see cref="IndexKey"/>), in sorted lists per value of that
    /// criterion. For a request, the rules filed under a value that the request has (and the rules filed under nothing) are
    /// the candidates: a rule that is not a candidate fails the criterion it is filed under, so it cannot match. The candidates
    /// are merged in position order and fully matched (<see cref="RuleMatcher"/>), so the first match is the one of
    /// a linear walk. Used for v3.30+ releases without a trace; classic releases (named ports, nil HTTP) and traces walk linearly.
    /// </summary>
    internal sealed class RuleIndex
    {
        /// <summary>Slots of the per-identity / per-endpoint lists: (ingress, egress) x (source, destination).</summary>
        public const int PeerSlots = 4;
        internal static readonly int[] Empty = [];

        private readonly bool _stagedEnforced;
        private readonly FrozenDictionary<string, int[]> _byMethod;
        private readonly int[] _anyMethod;
        private readonly PathTable _paths;
        private readonly int[] _anyPath;
        /// <summary>Position of each policy's first rule of this direction, by <see cref="CompiledPolicy.Id"/>.</summary>
        private readonly int[] _policyStart;

        private RuleIndex(bool ingress, CompiledTier[] tiers, int policyCount, bool stagedEnforced, bool indexPaths)
        {
            Ingress = ingress;
            _stagedEnforced = stagedEnforced;
            TierStart = new int[tiers.Length];
            TierEnd = new int[tiers.Length];
            _policyStart = new int[policyCount];
            int cursor = 0;
            for (int t = 0; t < tiers.Length; t++)
            {
                TierStart[t] = cursor;
                foreach (var p in tiers[t].Policies)
                {
                    _policyStart[p.Id] = cursor;
                    cursor += (ingress ? p.Ingress : p.Egress).Length;
                }
                TierEnd[t] = cursor;
            }
            RuleAt = new CompiledRule[cursor];
            FilterAt = new RuleFilter[cursor];
            PolicyOf = new CompiledPolicy[cursor];
            Key = new IndexKey[cursor];
            foreach (var tier in tiers)
            {
                foreach (var p in tier.Policies)
                {
                    var rules = ingress ? p.Ingress : p.Egress;
                    var filters = ingress ? p.IngressFilters : p.EgressFilters;
                    int start = _policyStart[p.Id];
                    for (int i = 0; i < rules.Length; i++)
                    {
                        RuleAt[start + i] = rules[i];
                        FilterAt[start + i] = filters[i];
                        PolicyOf[start + i] = p;
                        Key[start + i] = KeyOf(rules[i], indexPaths);
                    }
                }
            }

            var always = new List<int>();
            var byMethod = new Dictionary<string, List<int>>(StringComparer.Ordinal);
            var anyMethod = new List<int>();
            var byPath = new Dictionary<string, List<int>>(StringComparer.Ordinal);
            var anyPath = new List<int>();
            for (int b = 0; b < RuleAt.Length; b++)
            {
                if (Key[b] == IndexKey.None) always.Add(b);
                if (Key[b] == IndexKey.Path)
                {
                    anyPath.Add(b);
                    foreach (var path in RuleAt[b].Paths)
                    {
                        if (path.Value == null) continue; // never matches a path
                        if (!byPath.TryGetValue(path.Value, out var list)) byPath[path.Value] = list = new List<int>();
                        if (list.Count == 0 || list[^1] != b) list.Add(b);
                    }
                }
                if (Key[b] != IndexKey.Method) continue;
                anyMethod.Add(b);
                foreach (var m in RuleAt[b].Methods)
                {
                    if (!byMethod.TryGetValue(m, out var list)) byMethod[m] = list = new List<int>();
                    if (list.Count == 0 || list[^1] != b) list.Add(b);
                }
            }
            Always = [.. always];
            _byMethod = Freeze(byMethod);
            _anyMethod = [.. anyMethod];
            _paths = new PathTable(byPath);
            _anyPath = [.. anyPath];
            Source = new SideIndex(this, source: true);
            Destination = new SideIndex(this, source: false);
        }

        public bool Ingress { get; }
        /// <summary>The rule at each position, its policy and the criterion it is filed under.</summary>
        public CompiledRule[] RuleAt { get; }
        /// <summary>The rule's pre-checks (<see cref="RuleFilter"/>), contiguous, so that a candidate that fails one is dropped
        /// without reading the rule's objects.</summary>
        public RuleFilter[] FilterAt { get; }
        public CompiledPolicy[] PolicyOf { get; }
        public IndexKey[] Key { get; }
        /// <summary>First and end (exclusive) rule position of each tier, by <see cref="CompiledTier.Id"/>.</summary>
        public int[] TierStart { get; }
        public int[] TierEnd { get; }
        /// <summary>Rules filed under no criterion (candidates for every request).</summary>
        public int[] Always { get; }
        public SideIndex Source { get; }
        public SideIndex Destination { get; }

        /// <summary>Paths are indexed for releases that normalise them (segment-aligned prefixes); older releases compare raw
        /// string prefixes, and such rules are filed under their method instead.</summary>
        public static RuleIndex Build(CompiledTier[] tiers, int policyCount, bool ingress, CalicoBehavior behavior) =>
            new(ingress, tiers, policyCount, behavior.StagedEnforced, behavior.NormalizedPaths);

        /// <summary>The most selective indexed criterion of a rule. Each is a necessary condition of MatchRule / MatchSide for
        /// v3.30+ (see the list methods for the cases where the criterion is not checked and every filed rule is a candidate).</summary>
        private static IndexKey KeyOf(CompiledRule r, bool indexPaths)
        {
            if (r.Source.HasServiceAccounts && r.Source.ServiceAccountNames.Length > 0) return IndexKey.SourceNames;
            if (r.Destination.HasServiceAccounts && r.Destination.ServiceAccountNames.Length > 0) return IndexKey.DestinationNames;
            if (r.Source.Nets != null) return IndexKey.SourceNets;
            if (r.Destination.Nets != null) return IndexKey.DestinationNets;
            if (r.Source.PositiveSet >= 0) return IndexKey.SourceSet;
            if (r.Destination.PositiveSet >= 0) return IndexKey.DestinationSet;
            if (indexPaths && r.HasHttp && r.Paths.Length > 0) return IndexKey.Path;
            if (r.HasHttp && r.Methods.Length > 0 && !r.AnyMethod) return IndexKey.Method;
            if (r.Destination.Ports != null) return IndexKey.DestinationPorts;
            if (r.Source.Ports != null) return IndexKey.SourcePorts;
            return IndexKey.None;
        }

        internal static FrozenDictionary<string, int[]> Freeze(Dictionary<string, List<int>> lists)
        {
            var result = new Dictionary<string, int[]>(lists.Count, StringComparer.Ordinal);
            foreach (var (key, list) in lists) result[key] = [.. list];
            return result.ToFrozenDictionary(StringComparer.Ordinal);
        }

        /// <summary>Rules filed under the method whose methods allow the request's; a request without a method passes every
        /// method criterion in v3.30+ (nil HTTP attributes match), so all of them are candidates then.</summary>
        public int[] MethodList(string? method)
        {
            if (_anyMethod.Length == 0 || method == null) return _anyMethod;
            return _byMethod.TryGetValue(method, out var list) ? list : Empty;
        }

        /// <summary>
        /// Adds the lists of the rules filed under a path that can match the request's path: the normalised path itself (exact
        /// and prefix entries) and each segment-aligned prefix of it (<see cref="HttpPath.SegmentPrefixMatch"/>: the part before
        /// each '/', and the part up to and including it). A request without a path, or with one that does not start with '/',
        /// makes every path rule a candidate (nil HTTP matches; an unrooted path is INVALID_ARGUMENT when a path rule is reached).
        /// A path that normalisation rejects matches no path entry. When the lists would overflow the cursors, every path rule
        /// is a candidate instead (still a superset).
        /// </summary>
        public void AddPathLists(PreparedRequest q, ref CandidateCursors cursors, ref int count)
        {
            if (_anyPath.Length == 0) return;
            if (!q.HasPath || !q.PathRooted)
            {
                Add(ref cursors, ref count, _anyPath, NetsProven.None);
                return;
            }
            var path = q.PathForMatch;
            if (path == null) return;
            int before = count;
            ulong h = PathTable.Seed;
            for (int i = 0; i < path.Length; i++)
            {
                char c = path[i];
                if (c == '/')
                {
                    if (i > 0 && !TryAdd(_paths.Find(h, path.AsSpan(0, i)), ref cursors, ref count)) break;
                    h = PathTable.Step(h, c);
                    if (!TryAdd(_paths.Find(h, path.AsSpan(0, i + 1)), ref cursors, ref count)) break;
                    continue;
                }
                h = PathTable.Step(h, c);
                if (i == path.Length - 1 && !TryAdd(_paths.Find(h, path.AsSpan()), ref cursors, ref count)) break;
            }
            if (count == CandidateCursors.Capacity)
            {
                count = before;
                Add(ref cursors, ref count, _anyPath, NetsProven.None);
            }
        }

        private static bool TryAdd(int[]? list, ref CandidateCursors cursors, ref int count)
        {
            if (list == null) return true;
            if (count == CandidateCursors.Capacity) return false;
            cursors[count++] = new CandidateCursor { List = list, Next = 0, End = list.Length };
            return true;
        }

        internal static void Add(ref CandidateCursors cursors, ref int count, int[] list, NetsProven proven) =>
            Add(ref cursors, ref count, list, 0, list.Length, proven);

        internal static void Add(ref CandidateCursors cursors, ref int count, int[] list, int from, int to, NetsProven proven)
        {
            if (from >= to) return;
            cursors[count++] = new CandidateCursor { List = list, Next = from, End = to, Proven = proven };
        }

        /// <summary>Bitset of the positions of the rules of the enforced policies of this direction that apply to the endpoint.</summary>
        public ulong[] AppliesTo(EndpointContext local)
        {
            int slot = Ingress ? 0 : 1;
            var cached = Volatile.Read(ref local.IndexBits[slot]);
            if (cached != null) return cached;
            var bits = new ulong[(RuleAt.Length + 63) >> 6];
            foreach (var view in local.Tiers)
            {
                foreach (var p in Ingress ? view.Ingress : view.Egress)
                {
                    if (p.Staged && !_stagedEnforced) continue;
                    int start = _policyStart[p.Id];
                    int count = (Ingress ? p.Ingress : p.Egress).Length;
                    for (int b = start; b < start + count; b++) bits[b >> 6] |= 1UL << b;
                }
            }
            return Interlocked.CompareExchange(ref local.IndexBits[slot], bits, null) ?? bits;
        }
    }
}
