using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>A compiled list of CIDRs: sorted, merged ranges per family, searched by binary search.</summary>
    public sealed class NetSet
    {
        private readonly UInt128[] _v4Start, _v4End, _v6Start, _v6End;

        private NetSet(List<CidrRange> ranges, bool invalid)
        {
            Invalid = invalid;
            (_v4Start, _v4End) = Merge(ranges, false);
            (_v6Start, _v6End) = Merge(ranges, true);
        }

        /// <summary>True when an entry did not parse: Dikastes then fails both nets and notNets.</summary>
        public bool Invalid { get; }

        public static NetSet? Compile(IReadOnlyList<string> cidrs)
        {
            if (cidrs.Count == 0) return null;
            var list = new List<CidrRange>();
            bool invalid = false;
            foreach (var c in cidrs)
            {
                if (CidrRange.TryParse(c, out var r)) list.Add(r);
                else invalid = true;
            }
            return new NetSet(list, invalid);
        }

        private static (UInt128[], UInt128[]) Merge(List<CidrRange> ranges, bool v6)
        {
            var sel = new List<CidrRange>();
            foreach (var r in ranges)
            {
                if (r.IsV6 == v6) sel.Add(r);
            }
            sel.Sort((a, b) => a.Start.CompareTo(b.Start));
            var starts = new List<UInt128>();
            var ends = new List<UInt128>();
            foreach (var r in sel)
            {
                int n = ends.Count;
                if (n > 0 && (ends[n - 1] == UInt128.MaxValue || r.Start <= ends[n - 1] + 1))
                {
                    if (r.End > ends[n - 1]) ends[n - 1] = r.End;
                    continue;
                }
                starts.Add(r.Start);
                ends.Add(r.End);
            }
            return (starts.ToArray(), ends.ToArray());
        }

        /// <summary>Number of merged IPv4 ranges.</summary>
        internal int V4RangeCount => _v4Start.Length;

        /// <summary>True when the set has at least one IPv6 range.</summary>
        internal bool HasV6 => _v6Start.Length > 0;

        /// <summary>The i-th merged IPv4 range (inclusive), in ascending order.</summary>
        internal (uint Start, uint End) V4Range(int i) => ((uint)_v4Start[i], (uint)_v4End[i]);

        /// <summary>Smallest and largest IPv4 address covered; (1, 0) when there is no IPv4 range.</summary>
        public (uint Min, uint Max) V4Envelope() =>
            _v4Start.Length == 0 ? (1u, 0u) : ((uint)_v4Start[0], (uint)_v4End[_v4End.Length - 1]);

        public bool Contains(in IpValue ip)
        {
            var starts = ip.IsV6 ? _v6Start : _v4Start;
            var ends = ip.IsV6 ? _v6End : _v4End;
            int lo = 0, hi = starts.Length - 1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >> 1;
                if (ip.Value < starts[mid]) hi = mid - 1;
                else if (ip.Value > ends[mid]) lo = mid + 1;
                else return true;
            }
            return false;
        }
    }
}
