using System;

namespace CalicoAlp.Core.Policy.Replay
{
    /// <summary>The fields of one access log line the replay uses. Reused for every line (reset by <see cref="Clear"/>).</summary>
    public sealed class AccessLogEntry
    {
        public string? Method { get; set; }
        public string? Path { get; set; }
        public string? Protocol { get; set; }
        public int ResponseCode { get; set; }
        public string? Authority { get; set; }
        public string? StartTime { get; set; }
        public string? UpstreamHost { get; set; }
        /// <summary>Client address (ip:port) as the sidecar saw it.</summary>
        public string? DownstreamRemoteAddress { get; set; }
        /// <summary>Local (pod) address (ip:port) the connection arrived on.</summary>
        public string? DownstreamLocalAddress { get; set; }
        /// <summary>Client certificate URI SAN (downstream_peer_uri_san, else the URI= of x-forwarded-client-cert).</summary>
        public string? PeerPrincipal { get; set; }
        public string? ForwardedFor { get; set; }

        /// <summary>Per JSON field: recently decoded values (see AccessLogParser), kept across <see cref="Clear"/>.</summary>
        internal RecentStrings?[] Recent { get; } = new RecentStrings?[16];

        public void Clear()
        {
            Method = Path = Protocol = Authority = StartTime = UpstreamHost = null;
            DownstreamRemoteAddress = DownstreamLocalAddress = PeerPrincipal = ForwardedFor = null;
            ResponseCode = 0;
        }

        /// <summary>Splits "ip:port", "[v6]:port" or a bare IP. Returns false when the host is not an IP.</summary>
        public static bool TrySplitAddress(string? text, out System.Net.IPAddress? ip, out int port)
        {
            ip = null;
            port = -1;
            if (string.IsNullOrEmpty(text)) return false;
            ReadOnlySpan<char> s = text;
            if (s.Length > 0 && s[0] == '[')
            {
                int close = s.IndexOf(']');
                if (close < 0) return false;
                var host = s.Slice(1, close - 1);
                var rest = s.Slice(close + 1);
                if (rest.Length > 0)
                {
                    if (rest[0] != ':' || !int.TryParse(rest.Slice(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port)) return false;
                }
                return System.Net.IPAddress.TryParse(host, out ip);
            }
            int colon = s.LastIndexOf(':');
            if (colon > 0 && s.IndexOf(':') == colon)
            {
                if (!int.TryParse(s.Slice(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port)) return false;
                s = s.Slice(0, colon);
            }
            return System.Net.IPAddress.TryParse(s, out ip);
        }
    }

    /// <summary>A few recently decoded strings with their UTF-8 bytes (replaced round-robin).</summary>
    internal sealed class RecentStrings
    {
        private const int Size = 8;
        private const int MaxBytes = 512;
        private readonly byte[][] _bytes = new byte[Size][];
        private readonly string[] _strings = new string[Size];
        private int _count;
        private int _next;

        public string? Find(ReadOnlySpan<byte> utf8)
        {
            for (int i = 0; i < _count; i++)
            {
                if (utf8.SequenceEqual(_bytes[i])) return _strings[i];
            }
            return null;
        }

        public void Add(ReadOnlySpan<byte> utf8, string value)
        {
            if (utf8.Length > MaxBytes) return;
            _bytes[_next] = utf8.ToArray();
            _strings[_next] = value;
            _next = (_next + 1) % Size;
            if (_count < Size) _count++;
        }
    }
}
