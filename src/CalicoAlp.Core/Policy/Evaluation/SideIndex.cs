using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Threading;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>The per-side lists of a <see cref="RuleIndex"/>.</summary>
    internal sealed class SideIndex
    {
        /// <summary>A range spanning more elementary intervals than this files its rule in the wide list (a candidate for every
        /// IPv4 address) rather than in each interval's list.</summary>
        private const int WideSpan = 64;
        /// <summary>Boundaries above which the /16 (and dense /24) lookup tables are built (they take 512 KB).</summary>
        private const int TableBounds = 4096;

        private readonly RuleIndex _index;
        private readonly bool _source;
        private readonly int _slot;

        // Service-account names.
        private readonly FrozenDictionary<string, int[]> _byName;
        private readonly int[] _allNamed;

        // Positive IP sets: the rules filed under this side's set, and their set.
        private readonly int[] _setRules;
        private readonly int[] _setIds;

        // Numeric ports: elementary intervals [bounds[i], bounds[i+1]) and their lists, computed on first use.
        private readonly int[] _portRules;
        private readonly int[] _portBounds;
        private readonly int[]?[] _portLists;

        // Nets: the rules filed under nets with an IPv6 range; wide IPv4 ranges; per elementary IPv4 interval (CSR).
        private readonly int[] _netsV6 = RuleIndex.Empty;
        private readonly int[] _netsWide = RuleIndex.Empty;
        private readonly uint[] _netBounds = [0];
        private readonly bool _hasNets;
        /// <summary>Per /16, the first boundary at or above it; only with more than <see cref="TableBounds"/> boundaries
        /// (empty otherwise: a small set is searched whole).</summary>
        private readonly int[] _netHigh = [];
        /// <summary>Per /16 with many boundaries: the offset of its 257 per-/24 entries in <see cref="_netMid"/>, or -1.</summary>
        private readonly int[] _netDense = [];
        private readonly int[] _netMid = [];
        private readonly int[] _netListStart = [0, 0];
        private readonly int[] _netList = RuleIndex.Empty;

        public SideIndex(RuleIndex index, bool source)
        {
            _index = index;
            _source = source;
            _slot = (index.Ingress ? 0 : 2) + (source ? 0 : 1);
            var names = source ? IndexKey.SourceNames : IndexKey.DestinationNames;
            var nets = source ? IndexKey.SourceNets : IndexKey.DestinationNets;
            var set = source ? IndexKey.SourceSet : IndexKey.DestinationSet;
            var ports = source ? IndexKey.SourcePorts : IndexKey.DestinationPorts;

            var byName = new Dictionary<string, List<int>>(StringComparer.Ordinal);
            var allNamed = new List<int>();
            var setRules = new List<int>();
            var setIds = new List<int>();
            var portRules = new List<int>();
            var bounds = new SortedSet<int> { int.MinValue };
            bool anyNets = false;
            for (int b = 0; b < index.RuleAt.Length; b++)
            {
                var key = index.Key[b];
                var e = Entity(index.RuleAt[b]);
                if (key == names)
                {
                    allNamed.Add(b);
                    foreach (var name in e.ServiceAccountNames)
                    {
                        if (!byName.TryGetValue(name, out var list)) byName[name] = list = new List<int>();
                        if (list.Count == 0 || list[^1] != b) list.Add(b);
                    }
                }
                else if (key == set)
                {
                    setRules.Add(b);
                    setIds.Add(e.PositiveSet);
                }
                else if (key == ports)
                {
                    portRules.Add(b);
                    var p = e.Ports!;
                    for (int i = 0; i < p.RangeCount; i++)
                    {
                        var (min, max) = p.Range(i);
                        bounds.Add(min);
                        if (max < int.MaxValue) bounds.Add(max + 1);
                    }
                }
                else if (key == nets)
                {
                    anyNets = true;
                }
            }
            _byName = RuleIndex.Freeze(byName);
            _allNamed = [.. allNamed];
            _setRules = [.. setRules];
            _setIds = [.. setIds];
            _portRules = [.. portRules];
            _portBounds = [.. bounds];
            _portLists = new int[]?[_portBounds.Length];
            if (anyNets)
            {
                _hasNets = true;
                BuildNets(nets, out _netsV6, out _netsWide, out _netBounds, out _netListStart, out _netList);
                if (_netBounds.Length > TableBounds)
                {
                    _netHigh = BuildHigh(_netBounds);
                    (_netDense, _netMid) = BuildDense(_netBounds, _netHigh);
                }
            }
        }

        private CompiledEntity Entity(CompiledRule r) => _source ? r.Source : r.Destination;

        /// <summary>Rules filed under this side's names that list the peer's service account. Names are not checked for a
        /// plaintext or malformed identity (MatchSide), so then every rule filed under them is a candidate.</summary>
        public int[] NameList(Peer peer)
        {
            if (_allNamed.Length == 0) return RuleIndex.Empty;
            if (peer.Nil || peer.Name.Length == 0) return _allNamed;
            var cached = Volatile.Read(ref peer.IndexLists[_slot]);
            if (cached != null) return cached;
            var list = _byName.TryGetValue(peer.Name, out var named) ? named : RuleIndex.Empty;
            return Interlocked.CompareExchange(ref peer.IndexLists[_slot], list, null) ?? list;
        }

        /// <summary>Rules filed under this side's positive IP set that the side's endpoint is in (none without an endpoint).</summary>
        public int[] SetList(EndpointContext? endpoint)
        {
            if (_setRules.Length == 0 || endpoint == null) return RuleIndex.Empty;
            var cached = Volatile.Read(ref endpoint.IndexLists[_slot]);
            if (cached != null) return cached;
            var member = endpoint.Membership;
            var list = new List<int>();
            for (int i = 0; i < _setRules.Length; i++)
            {
                if (member[_setIds[i]]) list.Add(_setRules[i]);
            }
            int[] result = list.Count == 0 ? RuleIndex.Empty : [.. list];
            return Interlocked.CompareExchange(ref endpoint.IndexLists[_slot], result, null) ?? result;
        }

        /// <summary>Rules filed under this side's ports whose numeric ports contain the port (named ports never match in v3.30+).</summary>
        public int[] PortList(int port)
        {
            if (_portRules.Length == 0) return RuleIndex.Empty;
            var bounds = _portBounds;
            int lo = 0, hi = bounds.Length;
            while (lo < hi)
            {
                int mid = (lo + hi) >> 1;
                if (bounds[mid] <= port) lo = mid + 1;
                else hi = mid;
            }
            int interval = lo - 1;
            var cached = Volatile.Read(ref _portLists[interval]);
            if (cached != null) return cached;
            int representative = bounds[interval];
            var list = new List<int>();
            foreach (var b in _portRules)
            {
                if (Entity(_index.RuleAt[b]).Ports!.Contains(representative)) list.Add(b);
            }
            int[] result = list.Count == 0 ? RuleIndex.Empty : [.. list];
            return Interlocked.CompareExchange(ref _portLists[interval], result, null) ?? result;
        }

        /// <summary>
        /// Rules filed under this side's nets whose nets contain the side's address: none without an address (nets then fail),
        /// for IPv6 the rules with an IPv6 range, for IPv4 the wide list plus the list of the address's elementary interval
        /// (<see cref="NetList"/>[<paramref name="listStart"/>..<paramref name="listEnd"/>)).
        /// </summary>
        public int[] NetsLists(in SideData side, out int listStart, out int listEnd)
        {
            listStart = listEnd = 0;
            if (!side.HasIp || !_hasNets) return RuleIndex.Empty;
            if (side.Ip.IsV6) return _netsV6;
            uint ip = (uint)side.Ip.Value;
            var bounds = _netBounds;
            int lo = 0, hi = bounds.Length;
            if (_netHigh.Length > 0)
            {
                int h = (int)(ip >> 16);
                int dense = _netDense[h];
                if (dense >= 0)
                {
                    int m = dense + (int)((ip >> 8) & 255);
                    lo = _netMid[m];
                    hi = _netMid[m + 1];
                }
                else
                {
                    lo = _netHigh[h];
                    hi = _netHigh[h + 1];
                }
            }
            while (lo < hi)
            {
                int mid = (lo + hi) >> 1;
                if (bounds[mid] <= ip) lo = mid + 1;
                else hi = mid;
            }
            int interval = lo - 1;
            listStart = _netListStart[interval];
            listEnd = _netListStart[interval + 1];
            return _netsWide;
        }

        public int[] NetList => _netList;

        private void BuildNets(IndexKey key, out int[] v6, out int[] wideList, out uint[] bounds, out int[] listStart, out int[] list)
        {
            var rules = _index.RuleAt;
            var filed = new List<int>();
            var v6List = new List<int>();
            var boundaryList = new List<uint> { 0 };
            for (int b = 0; b < rules.Length; b++)
            {
                if (_index.Key[b] != key) continue;
                var nets = Entity(rules[b]).Nets!;
                // An invalid entry fails nets for every address: such a rule is never a candidate.
                if (nets.Invalid) continue;
                filed.Add(b);
                if (nets.HasV6) v6List.Add(b);
                for (int i = 0; i < nets.V4RangeCount; i++)
                {
                    var (start, end) = nets.V4Range(i);
                    boundaryList.Add(start);
                    if (end < uint.MaxValue) boundaryList.Add(end + 1);
                }
            }
            boundaryList.Sort();
            int unique = 0;
            for (int i = 0; i < boundaryList.Count; i++)
            {
                if (i == 0 || boundaryList[i] != boundaryList[unique - 1]) boundaryList[unique++] = boundaryList[i];
            }
            bounds = new uint[unique];
            boundaryList.CopyTo(0, bounds, 0, unique);

            // Count, then fill, the rules listed per elementary interval; a rule with a wide range goes to the wide list.
            var counts = new int[bounds.Length + 1];
            var wide = new List<int>();
            var isWide = new bool[filed.Count];
            for (int f = 0; f < filed.Count; f++)
            {
                var nets = Entity(rules[filed[f]]).Nets!;
                for (int i = 0; i < nets.V4RangeCount && !isWide[f]; i++)
                {
                    var (start, end) = nets.V4Range(i);
                    if (IntervalOf(bounds, end) - IntervalOf(bounds, start) + 1 > WideSpan) isWide[f] = true;
                }
                if (isWide[f])
                {
                    wide.Add(filed[f]);
                    continue;
                }
                for (int i = 0; i < nets.V4RangeCount; i++)
                {
                    var (start, end) = nets.V4Range(i);
                    int last = IntervalOf(bounds, end);
                    for (int iv = IntervalOf(bounds, start); iv <= last; iv++) counts[iv + 1]++;
                }
            }
            for (int i = 1; i < counts.Length; i++) counts[i] += counts[i - 1];
            listStart = counts;
            list = new int[counts[^1]];
            var fill = (int[])counts.Clone();
            for (int f = 0; f < filed.Count; f++)
            {
                if (isWide[f]) continue;
                var nets = Entity(rules[filed[f]]).Nets!;
                for (int i = 0; i < nets.V4RangeCount; i++)
                {
                    var (start, end) = nets.V4Range(i);
                    int last = IntervalOf(bounds, end);
                    // Rules are visited in position order and a rule's merged ranges are disjoint, so each interval's list
                    // comes out sorted and without repeats.
                    for (int iv = IntervalOf(bounds, start); iv <= last; iv++) list[fill[iv]++] = filed[f];
                }
            }
            v6 = [.. v6List];
            wideList = [.. wide];
        }

        /// <summary>The first boundary at or above each /16, so that a lookup searches only within its /16.</summary>
        private static int[] BuildHigh(uint[] bounds)
        {
            var high = new int[65537];
            int k = 0;
            for (int h = 0; h <= 65536; h++)
            {
                ulong floor = (ulong)h << 16;
                while (k < bounds.Length && bounds[k] < floor) k++;
                high[h] = k;
            }
            return high;
        }

        /// <summary>A second level for the /16s holding more than 64 boundaries: the first boundary at or above each /24.</summary>
        private static (int[], int[]) BuildDense(uint[] bounds, int[] high)
        {
            var dense = new int[65536];
            var mid = new List<int>();
            for (int h = 0; h < 65536; h++)
            {
                if (high[h + 1] - high[h] <= 64)
                {
                    dense[h] = -1;
                    continue;
                }
                dense[h] = mid.Count;
                int k = high[h];
                for (int m = 0; m <= 256; m++)
                {
                    ulong floor = ((ulong)h << 16) + ((ulong)m << 8);
                    while (k < bounds.Length && bounds[k] < floor) k++;
                    mid.Add(k);
                }
            }
            return (dense, [.. mid]);
        }

        private static int IntervalOf(uint[] bounds, uint ip)
        {
            int lo = 0, hi = bounds.Length;
            while (lo < hi)
            {
                int mid = (lo + hi) >> 1;
                if (bounds[mid] <= ip) lo = mid + 1;
                else hi = mid;
            }
            return lo - 1;
        }
    }
}
