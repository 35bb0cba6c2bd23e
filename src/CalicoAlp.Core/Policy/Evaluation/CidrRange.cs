using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace CalicoAlp.Core.Policy.Evaluation
{
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
}
