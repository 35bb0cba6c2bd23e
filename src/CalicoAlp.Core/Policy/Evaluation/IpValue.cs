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
}
