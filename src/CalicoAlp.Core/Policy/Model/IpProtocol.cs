using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Globalization;
using CalicoAlp.Core.Diagnostics;

namespace CalicoAlp.Core.Policy.Model
{
    /// <summary>
    /// IP protocol names and numbers, the one mapping used for requests (Test-AlpRequest's -Protocol), rules
    /// (<c>protocol</c> / <c>notProtocol</c>) and named ports. Names are case-insensitive; numbers are 1..255.
    /// </summary>
    public static class IpProtocol
    {
        public const int Icmp = 1;
        public const int Tcp = 6;
        public const int Udp = 17;
        public const int IcmpV6 = 58;
        public const int Sctp = 132;
        public const int UdpLite = 136;

        /// <summary>Every protocol name Calico's newest releases understand, lower case.</summary>
        private static readonly FrozenDictionary<string, int> Numbers = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase)
        {
            ["icmp"] = Icmp, ["icmpv6"] = IcmpV6, ["tcp"] = Tcp, ["udp"] = Udp, ["udplite"] = UdpLite, ["sctp"] = Sctp,
        }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

        /// <summary>The number of a protocol name (any case), or 0 when the name is not known.</summary>
        public static int NumberOf(string name) => Numbers.TryGetValue(name, out var n) ? n : 0;

        /// <summary>The name of a protocol number (upper case, as Test-AlpRequest shows it), or the number as text.</summary>
        public static string NameOf(int number) => number switch
        {
            Icmp => "ICMP",
            Tcp => "TCP",
            Udp => "UDP",
            IcmpV6 => "ICMPv6",
            Sctp => "SCTP",
            UdpLite => "UDPLite",
            _ => number.ToString(CultureInfo.InvariantCulture),
        };

        /// <summary>A protocol name or a number 1..255; anything else is an <c>InvalidProtocol</c> error naming <paramref name="field"/>.</summary>
        public static int Parse(string text, string field)
        {
            var n = NumberOf(text.Trim());
            if (n != 0) return n;
            if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out n) && n >= 1 && n <= 255) return n;
            throw new AlpException("InvalidProtocol", AlpErrorKind.InvalidArgument,
                $"-{field} '{text}' is not TCP, UDP, SCTP, ICMP, ICMPv6, UDPLite or a number 1..255.", text);
        }
    }
}
