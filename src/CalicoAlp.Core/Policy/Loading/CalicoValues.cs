using System;
using System.Globalization;
using System.Net;

namespace CalicoAlp.Core.Policy.Loading
{
    /// <summary>
    /// Field values checked as Calico's validator (libcalico-go lib/validator/v3, and Go's net.ParseCIDR behind it)
    /// checks them before an object can be stored, so that a file is refused where calicoctl would refuse it instead of
    /// being read in a way the cluster would never hold. Each method returns null when the value is valid, else the
    /// reason (the caller adds the file, line and field).
    /// </summary>
    internal static class CalicoValues
    {
        /// <summary>
        /// A CIDR <c>addr/len</c> or a bare address, as Go's net.ParseCIDR / net.ParseIP read them: IPv4 in exactly four
        /// decimal parts without leading zeros (<c>010.0.0.5</c> and <c>10.1</c> are refused: .NET would read them as
        /// 8.0.0.5 and 10.0.0.1), no IPv6 zone (<c>%eth0</c>), a decimal prefix length within the family (0..32, 0..128).
        /// Host bits set below the prefix are allowed: Calico masks them off, as this module does.
        /// </summary>
        public static string? CheckNet(string text)
        {
            if (text.Length == 0) return "empty CIDR";
            if (text.Length > 64) return "too long for a CIDR";
            int slash = text.IndexOf('/');
            var addr = slash < 0 ? text : text[..slash];
            bool v6;
            if (addr.Contains(':'))
            {
                if (addr.Contains('%')) return $"'{text}' has an IPv6 zone ('%...'), which a CIDR cannot have";
                if (!IPAddress.TryParse(addr, out var ip6) || ip6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
                    return $"'{addr}' is not an IPv6 address";
                v6 = true;
            }
            else
            {
                var why = CheckIPv4(addr);
                if (why != null) return why;
                v6 = false;
            }
            if (slash < 0) return null;
            var len = text[(slash + 1)..];
            int max = v6 ? 128 : 32;
            if (len.Length == 0 || len.Length > 3 || !IsDigits(len) || (len.Length > 1 && len[0] == '0') ||
                int.Parse(len, NumberStyles.None, CultureInfo.InvariantCulture) > max)
            {
                return $"'/{len}' is not a prefix length 0..{max}";
            }
            return null;
        }

        private static string? CheckIPv4(string addr)
        {
            var parts = addr.Split('.');
            if (parts.Length != 4) return $"'{addr}' is not an IPv4 address (it needs four decimal parts a.b.c.d)";
            foreach (var p in parts)
            {
                if (p.Length == 0 || p.Length > 3 || !IsDigits(p)) return $"'{addr}' is not an IPv4 address";
                if (p.Length > 1 && p[0] == '0') return $"'{addr}' has a part with a leading zero ('{p}'), which Calico refuses (it is not read as octal)";
                if (int.Parse(p, NumberStyles.None, CultureInfo.InvariantCulture) > 255) return $"'{addr}' has a part above 255 ('{p}')";
            }
            return null;
        }

        /// <summary>
        /// A rule port: a number 0..65535, a range <c>min:max</c> with min &lt;= max, or a port name. A name must be one a
        /// Kubernetes container port can have (an IANA service name: 1-15 lower-case letters, digits and '-', at least one
        /// letter, no '-' at either end or twice in a row), else it could never match anything; text that looks like a
        /// signed, out-of-range or non-decimal number (<c>-1</c>, <c>99999999999</c>, <c>0x50</c>) is refused as a number.
        /// </summary>
        public static string? CheckPort(string text)
        {
            if (text.Length == 0) return "empty port";
            int colon = text.IndexOf(':');
            if (colon >= 0)
            {
                var lo = text[..colon];
                var hi = text[(colon + 1)..];
                var why = CheckPortNumber(lo) ?? CheckPortNumber(hi);
                if (why != null) return $"'{text}' is not a port range min:max ({why})";
                if (int.Parse(lo, NumberStyles.None, CultureInfo.InvariantCulture) > int.Parse(hi, NumberStyles.None, CultureInfo.InvariantCulture))
                    return $"'{text}' is not a port range: min is greater than max";
                return null;
            }
            if (LooksNumeric(text)) return CheckPortNumber(text);
            if (text.Length > 15) return $"port name '{text}' is longer than 15 characters";
            bool letter = false;
            foreach (char c in text)
            {
                if (char.IsAsciiLetterLower(c)) letter = true;
                else if (!(char.IsAsciiDigit(c) || c == '-'))
                    return $"port name '{text}' may hold only lower-case letters, digits and '-' (an IANA service name, as Kubernetes container ports use)";
            }
            if (!letter) return $"port name '{text}' needs at least one letter";
            if (text[0] == '-' || text[^1] == '-' || text.Contains("--", StringComparison.Ordinal))
                return $"port name '{text}' must not start or end with '-' or hold '--'";
            return null;
        }

        private static string? CheckPortNumber(string text)
        {
            if (text.Length == 0) return "empty port number";
            if (text[0] == '-' || text[0] == '+') return $"'{text}' is not a port number 0..65535";
            if (LooksNumeric(text) && !IsDigits(text)) return $"'{text}' is not a decimal port number (write ports in decimal)";
            if (!IsDigits(text)) return $"'{text}' is not a port number";
            if (text.Length > 5 || int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture) > 65535) return $"port {text} is above 65535";
            return null;
        }

        /// <summary>Hex (0x50), octal (0o120) or binary (0b1010) notation, as YAML 1.1 would read them.</summary>
        private static bool LooksNumeric(string text)
        {
            var t = text.TrimStart('+', '-');
            if (t.Length > 2 && t[0] == '0' && (t[1] is 'x' or 'X' or 'o' or 'O' or 'b' or 'B')) return true;
            return t.Length > 0 && IsDigits(t);
        }

        /// <summary>Calico's protocol names (numorstring.Protocol): TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite; numbers are checked by the caller.</summary>
        public static string? CheckProtocolName(string text)
        {
            foreach (var known in new[] { "TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite" })
            {
                if (text.Equals(known, StringComparison.OrdinalIgnoreCase)) return null;
            }
            if (text.StartsWith('-') || text.StartsWith('+') || LooksNumeric(text)) return $"'{text}' is not a protocol number 1..255";
            return $"'{text}' is not a protocol: TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1..255";
        }

        private static bool IsDigits(string s)
        {
            foreach (char c in s) if (!char.IsAsciiDigit(c)) return false;
            return s.Length > 0;
        }
    }
}
