using System;
using System.Text;
using System.Text.Json;

namespace CalicoAlp.Core.Policy.Replay
{
    /// <summary>
    /// Span-based parsers for Envoy access log lines: JSON (one object per line, Envoy/Istio snake_case keys or the
    /// %COMMAND%-named keys of Istio 1.4) and Envoy's default text format (optionally with Istio 1.4's appended fields).
    /// </summary>
    public static class AccessLogParser
    {
        /// <summary>Parses one line (UTF-8, no line terminator). The format is chosen by the first character: '{' JSON, '[' text.</summary>
        public static bool TryParse(ReadOnlySpan<byte> line, AccessLogEntry entry, out string? error)
        {
            entry.Clear();
            line = line.Trim((byte)' ').Trim((byte)'\t').Trim((byte)'\r');
            if (line.Length == 0) { error = "empty line"; return false; }
            if (line[0] == (byte)'{') return TryParseJson(line, entry, out error);
            if (line[0] == (byte)'[') return TryParseText(line, entry, out error);
            error = "not an Envoy access log line (expected a JSON object or the default text format '[START_TIME] \"METHOD PATH PROTOCOL\" ...')";
            return false;
        }

        // ------------------------------------------------------------------ JSON

        private enum Field { None, Method, Path, Protocol, ResponseCode, Authority, StartTime, UpstreamHost, DownstreamRemote, DownstreamLocal, PeerSan, Xfcc, ForwardedFor }

        private static Field FieldOf(ReadOnlySpan<byte> key)
        {
            // %COMMAND% keys: strip the percent signs.
            if (key.Length >= 2 && key[0] == (byte)'%' && key[^1] == (byte)'%') key = key[1..^1];
            // By length first: most keys of a line are ones the replay does not read, and are rejected here.
            switch (key.Length)
            {
                case 4: return Eq(key, "path"u8) ? Field.Path : Field.None;
                case 6: return Eq(key, "method"u8) ? Field.Method : Field.None;
                case 8: return Eq(key, "protocol"u8) ? Field.Protocol : Field.None;
                case 9: return Eq(key, "authority"u8) ? Field.Authority : Field.None;
                case 10:
                    if (Eq(key, "start_time"u8)) return Field.StartTime;
                    return Eq(key, "req(:path)"u8) ? Field.Path : Field.None;
                case 12: return Eq(key, "req(:method)"u8) ? Field.Method : Field.None;
                case 13:
                    if (Eq(key, "response_code"u8)) return Field.ResponseCode;
                    return Eq(key, "upstream_host"u8) ? Field.UpstreamHost : Field.None;
                case 15:
                    if (Eq(key, "req(:authority)"u8)) return Field.Authority;
                    return Eq(key, "x_forwarded_for"u8) ? Field.ForwardedFor : Field.None;
                case 20: return Eq(key, "req(x-forwarded-for)"u8) ? Field.ForwardedFor : Field.None;
                case 23:
                    if (Eq(key, "downstream_peer_uri_san"u8)) return Field.PeerSan;
                    return Eq(key, "x_forwarded_client_cert"u8) ? Field.Xfcc : Field.None;
                case 24: return Eq(key, "downstream_local_address"u8) ? Field.DownstreamLocal : Field.None;
                case 25: return Eq(key, "downstream_remote_address"u8) ? Field.DownstreamRemote : Field.None;
                case 28: return Eq(key, "req(x-forwarded-client-cert)"u8) ? Field.Xfcc : Field.None;
                case 32: return Eq(key, "req(x-envoy-original-path?:path)"u8) ? Field.Path : Field.None;
                default: return Field.None;
            }
        }

        /// <summary>ASCII case-insensitive equality against a lower-case literal.</summary>
        private static bool Eq(ReadOnlySpan<byte> key, ReadOnlySpan<byte> lower)
        {
            if (key.Length != lower.Length) return false;
            for (int i = 0; i < key.Length; i++)
            {
                byte b = key[i];
                if (b >= (byte)'A' && b <= (byte)'Z') b = (byte)(b | 0x20);
                if (b != lower[i]) return false;
            }
            return true;
        }

        private static bool TryParseJson(ReadOnlySpan<byte> line, AccessLogEntry entry, out string? error)
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            string? xfcc = null;
            try
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) { error = "not a JSON object"; return false; }
                while (reader.Read())
                {
                    if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0) break;
                    if (reader.TokenType != JsonTokenType.PropertyName) { error = "unexpected JSON token " + reader.TokenType; return false; }
                    var field = reader.ValueIsEscaped ? FieldOf(Encoding.UTF8.GetBytes(reader.GetString()!)) : FieldOf(reader.ValueSpan);
                    if (!reader.Read()) break;
                    if (reader.TokenType == JsonTokenType.StartObject || reader.TokenType == JsonTokenType.StartArray)
                    {
                        reader.Skip();
                        continue;
                    }
                    if (field == Field.None) continue;
                    if (field == Field.ResponseCode)
                    {
                        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var code)) entry.ResponseCode = code;
                        else if (reader.TokenType == JsonTokenType.String && int.TryParse(reader.GetString(), out code)) entry.ResponseCode = code;
                        continue;
                    }
                    string? value = reader.TokenType switch
                    {
                        JsonTokenType.String => Dash(reader.ValueSpan, reader.ValueIsEscaped) ? null : field == Field.Method ? InternMethod(reader.ValueSpan, reader) : Value(entry, field, ref reader),
                        JsonTokenType.Null => null,
                        _ => null,
                    };
                    switch (field)
                    {
                        case Field.Method: entry.Method = value; break;
                        case Field.Path: entry.Path = value; break;
                        case Field.Protocol: entry.Protocol = value; break;
                        case Field.Authority: entry.Authority = value; break;
                        case Field.StartTime: entry.StartTime = value; break;
                        case Field.UpstreamHost: entry.UpstreamHost = value; break;
                        case Field.DownstreamRemote: entry.DownstreamRemoteAddress = value; break;
                        case Field.DownstreamLocal: entry.DownstreamLocalAddress = value; break;
                        case Field.PeerSan: entry.PeerPrincipal = FirstSan(value); break;
                        case Field.Xfcc: xfcc = value; break;
                        case Field.ForwardedFor: entry.ForwardedFor = value; break;
                    }
                }
                if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0) { error = "truncated JSON object"; return false; }
            }
            catch (JsonException ex)
            {
                error = "invalid JSON: " + ex.Message;
                return false;
            }
            catch (InvalidOperationException ex)
            {
                // GetString on bytes the reader let through: invalid UTF-8 inside a string (found by afl-fuzz) or a
                // "\ud800"-style escape of half a surrogate pair (found by the access-log property); FindingRegressionTests.
                error = "invalid JSON string (invalid UTF-8, or a \\u escape of half a UTF-16 surrogate pair): " + ex.Message;
                return false;
            }
            if (entry.PeerPrincipal == null && xfcc != null) entry.PeerPrincipal = XfccUri(xfcc);
            error = null;
            return true;
        }

        /// <summary>
        /// The string value of the current token. Fields that repeat from line to line in a sidecar's log (path, protocol,
        /// authority, upstream host, local address, peer identity, ...) come from the entry's cache of recent values when
        /// the raw bytes are equal, so most lines allocate no string for them. Start time and client address differ on
        /// every line and are not cached.
        /// </summary>
        private static string? Value(AccessLogEntry entry, Field field, ref Utf8JsonReader reader)
        {
            if (field == Field.StartTime || field == Field.DownstreamRemote || reader.ValueIsEscaped) return reader.GetString();
            var cache = entry.Recent[(int)field] ??= new RecentStrings();
            var raw = reader.ValueSpan;
            var hit = cache.Find(raw);
            if (hit != null) return hit;
            var value = reader.GetString()!;
            cache.Add(raw, value);
            return value;
        }

        private static bool Dash(ReadOnlySpan<byte> v, bool escaped) => !escaped && (v.Length == 0 || (v.Length == 1 && v[0] == (byte)'-'));

        private static string InternMethod(ReadOnlySpan<byte> v, Utf8JsonReader reader)
        {
            if (!reader.ValueIsEscaped)
            {
                var m = KnownMethod(v);
                if (m != null) return m;
            }
            return reader.GetString()!;
        }

        private static string? KnownMethod(ReadOnlySpan<byte> v)
        {
            if (v.SequenceEqual("GET"u8)) return "GET";
            if (v.SequenceEqual("POST"u8)) return "POST";
            if (v.SequenceEqual("PUT"u8)) return "PUT";
            if (v.SequenceEqual("DELETE"u8)) return "DELETE";
            if (v.SequenceEqual("PATCH"u8)) return "PATCH";
            if (v.SequenceEqual("HEAD"u8)) return "HEAD";
            if (v.SequenceEqual("OPTIONS"u8)) return "OPTIONS";
            return null;
        }

        /// <summary>Envoy joins several URI SANs with ','; the SPIFFE one (or the first) is the peer identity.</summary>
        private static string? FirstSan(string? value)
        {
            if (value == null) return null;
            int comma = value.IndexOf(',');
            if (comma < 0) return value;
            foreach (var part in value.Split(','))
            {
                var p = part.Trim();
                if (p.StartsWith("spiffe://", StringComparison.Ordinal)) return p;
            }
            return value.Substring(0, comma).Trim();
        }

        /// <summary>The URI= element of the last x-forwarded-client-cert element (the one the sidecar added for its client).</summary>
        internal static string? XfccUri(string xfcc)
        {
            var elements = xfcc.Split(',');
            var last = elements[^1];
            foreach (var kv in last.Split(';'))
            {
                var t = kv.Trim();
                if (t.StartsWith("URI=", StringComparison.OrdinalIgnoreCase)) return t.Substring(4).Trim('"');
            }
            return null;
        }

        // ------------------------------------------------------------------ text

        /// <summary>
        /// Envoy default: <c>[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE%
        /// %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%"
        /// "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"</c>, optionally followed (Istio 1.4) by
        /// <c>%UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%
        /// %REQUESTED_SERVER_NAME% %ROUTE_NAME%</c>. Istio's extra quoted fields between the flags and the byte counts are tolerated:
        /// the last five quoted fields are taken as X-FORWARDED-FOR, USER-AGENT, X-REQUEST-ID, :AUTHORITY, UPSTREAM_HOST.
        /// </summary>
        private static bool TryParseText(ReadOnlySpan<byte> line, AccessLogEntry entry, out string? error)
        {
            Span<Range> tokens = stackalloc Range[40];
            Span<bool> quoted = stackalloc bool[40];
            int n = 0;
            int i = 0;
            while (i < line.Length)
            {
                byte c = line[i];
                if (c == (byte)' ' || c == (byte)'\t') { i++; continue; }
                if (n == tokens.Length) { error = "too many fields"; return false; }
                if (c == (byte)'[' && n == 0)
                {
                    int close = line.Slice(i).IndexOf((byte)']');
                    if (close < 0) { error = "unterminated [START_TIME]"; return false; }
                    tokens[n] = new Range(i + 1, i + close);
                    quoted[n++] = false;
                    i += close + 1;
                }
                else if (c == (byte)'"')
                {
                    int close = line.Slice(i + 1).IndexOf((byte)'"');
                    if (close < 0) { error = "unterminated quoted field"; return false; }
                    tokens[n] = new Range(i + 1, i + 1 + close);
                    quoted[n++] = true;
                    i += close + 2;
                }
                else
                {
                    int end = i;
                    while (end < line.Length && line[end] != (byte)' ' && line[end] != (byte)'\t') end++;
                    tokens[n] = new Range(i, end);
                    quoted[n++] = false;
                    i = end;
                }
            }
            if (n < 3 || !quoted[1]) { error = "expected [START_TIME] \"METHOD PATH PROTOCOL\" RESPONSE_CODE"; return false; }
            entry.StartTime = Encoding.UTF8.GetString(line[tokens[0]]);

            // "METHOD PATH PROTOCOL"
            var req = line[tokens[1]];
            int s1 = req.IndexOf((byte)' ');
            int s2 = s1 < 0 ? -1 : req.Slice(s1 + 1).IndexOf((byte)' ');
            if (s1 <= 0 || s2 < 0) { error = "the request field is not \"METHOD PATH PROTOCOL\""; return false; }
            var method = req.Slice(0, s1);
            var path = req.Slice(s1 + 1, s2);
            var proto = req.Slice(s1 + 2 + s2);
            entry.Method = IsDash(method) ? null : KnownMethod(method) ?? Encoding.UTF8.GetString(method);
            entry.Path = IsDash(path) ? null : Encoding.UTF8.GetString(path);
            entry.Protocol = IsDash(proto) ? null : Encoding.UTF8.GetString(proto);

            if (quoted[2] || !int.TryParse(line[tokens[2]], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code))
            {
                error = "RESPONSE_CODE is not a number";
                return false;
            }
            entry.ResponseCode = code;

            // The run of five quoted fields ending with UPSTREAM_HOST: the last quoted token.
            int last = -1;
            for (int t = n - 1; t >= 3; t--)
            {
                if (quoted[t]) { last = t; break; }
            }
            if (last < 0 || last - 4 < 3) { error = "expected \"X-FORWARDED-FOR\" \"USER-AGENT\" \"X-REQUEST-ID\" \":AUTHORITY\" \"UPSTREAM_HOST\""; return false; }
            for (int t = last - 4; t <= last; t++)
            {
                if (!quoted[t]) { error = "expected \"X-FORWARDED-FOR\" \"USER-AGENT\" \"X-REQUEST-ID\" \":AUTHORITY\" \"UPSTREAM_HOST\""; return false; }
            }
            entry.ForwardedFor = Text(line[tokens[last - 4]]);
            entry.Authority = Text(line[tokens[last - 1]]);
            entry.UpstreamHost = Text(line[tokens[last]]);
            int trailing = n - 1 - last;
            if (trailing != 0 && trailing < 4) { error = $"unexpected {trailing} field(s) after \"UPSTREAM_HOST\" (Istio 1.4 appends 6)"; return false; }
            if (trailing >= 4)
            {
                entry.DownstreamLocalAddress = Text(line[tokens[last + 3]]);
                entry.DownstreamRemoteAddress = Text(line[tokens[last + 4]]);
            }
            error = null;
            return true;
        }

        private static bool IsDash(ReadOnlySpan<byte> v) => v.Length == 0 || (v.Length == 1 && v[0] == (byte)'-');

        private static string? Text(ReadOnlySpan<byte> v) => IsDash(v) ? null : Encoding.UTF8.GetString(v);
    }
}
