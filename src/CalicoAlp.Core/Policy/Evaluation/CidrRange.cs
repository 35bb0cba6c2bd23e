using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>An IP address as a 128-bit number plus its family (IPv4 and IPv6 never match each other).</summary>
    public readonly struct IpValue
    {
        public IpValue(bool isV6, UInt128 value)
        {
            IsV6 = isV6;
            Value = value;
        }

        public bool IsV6 { get; }
        public UInt128 Value { get; }

        public static IpValue From(IPAddress address)
        {
            Span<byte> bytes = stackalloc byte[16];
            address.TryWriteBytes(bytes, out int written);
            UInt128 v = 0;
            for (int i = 0; i < written; i++) v = (v << 8) | bytes[i];
            return new IpValue(address.AddressFamily == AddressFamily.InterNetworkV6, v);
        }
    }

    /// <summary>A CIDR as an inclusive address range.</summary>
    public readonly struct CidrRange
    {
        public CidrRange(bool isV6, UInt128 start, UInt128 end)
        {
            IsV6 = isV6;
            Start = start;
            End = end;
        }

        public bool IsV6 { get; }
        public UInt128 Start { get; }
        public UInt128 End { get; }

        /// <summary>Parses <c>addr/len</c> or a bare address (host route); host bits are masked off as Go's ParseCIDR does.</summary>
        public static bool TryParse(string text, out CidrRange range)
        {
            range = default;
            int slash = text.IndexOf('/');
            var addrText = slash < 0 ? text : text.Substring(0, slash);
            if (!IPAddress.TryParse(addrText, out var addr) || addrText.IndexOf('%') >= 0) return false;
            var ip = IpValue.From(addr);
            int bits = ip.IsV6 ? 128 : 32;
            int len = bits;
            if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out len) || len > bits))
                return false;
            UInt128 hostMask = len == 0 ? (bits == 128 ? UInt128.MaxValue : (UInt128)uint.MaxValue) : (((UInt128)1 << (bits - len)) - 1);
            if (len == bits) hostMask = 0;
            var start = ip.Value & ~hostMask;
            range = new CidrRange(ip.IsV6, start, start | hostMask);
            return true;
        }
    }

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
