using System;
using System.Collections.Generic;
using System.Text;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>HTTP path handling of Dikastes (spec section 5.6).</summary>
    public static class HttpPath
    {
        /// <summary>Older releases (&lt;= v3.31.5): strip at the first '?', then at the first '#'.</summary>
        public static string StripQueryRaw(string path)
        {
            int q = path.IndexOf('?');
            if (q >= 0) path = path.Substring(0, q);
            int h = path.IndexOf('#');
            if (h >= 0) path = path.Substring(0, h);
            return path;
        }

        /// <summary>
        /// Baseline normalisation: cut at '?'/'#', percent-decode once, reject leftover encoded dot/slash/backslash or NUL,
        /// fold '\' to '/', strip ';params' per segment, then clean (collapse '//', resolve '.'/'..', drop trailing '/').
        /// Returns null when the path must not match anything. Returns the input instance when it is already normal.
        /// </summary>
        public static string? Normalize(string path)
        {
            if (IsAlreadyNormal(path)) return path;
            int cut = path.IndexOfAny(['?', '#']);
            var raw = cut >= 0 ? path.Substring(0, cut) : path;
            var decoded = PercentDecode(raw);
            if (decoded == null) return null;
            if (decoded.IndexOf('\0') >= 0 ||
                decoded.Contains("%2e", StringComparison.OrdinalIgnoreCase) ||
                decoded.Contains("%2f", StringComparison.OrdinalIgnoreCase) ||
                decoded.Contains("%5c", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
            decoded = decoded.Replace('\\', '/');
            if (decoded.IndexOf(';') >= 0)
            {
                var segs = decoded.Split('/');
                for (int i = 0; i < segs.Length; i++)
                {
                    int semi = segs[i].IndexOf(';');
                    if (semi >= 0) segs[i] = segs[i].Substring(0, semi);
                }
                decoded = string.Join('/', segs);
            }
            return Clean(decoded);
        }

        /// <summary>Fast path: a rooted path of plain segments (no '.', '..', empty segments, escapes, ';', '\', '?', '#', trailing '/').</summary>
        private static bool IsAlreadyNormal(string path)
        {
            if (path.Length == 0 || path[0] != '/') return false;
            if (path.Length == 1) return true;
            int segStart = 1;
            for (int i = 1; i <= path.Length; i++)
            {
                if (i == path.Length || path[i] == '/')
                {
                    int len = i - segStart;
                    if (len == 0) return false;
                    if (len == 1 && path[segStart] == '.') return false;
                    if (len == 2 && path[segStart] == '.' && path[segStart + 1] == '.') return false;
                    segStart = i + 1;
                    continue;
                }
                char c = path[i];
                if (c == '%' || c == ';' || c == '\\' || c == '?' || c == '#' || c == '\0') return false;
            }
            return true;
        }

        private static int Hex(char c) =>
            c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

        /// <summary>Go url.PathUnescape: '%XX' decoded once, '+' kept; a malformed escape is an error (null).</summary>
        internal static string? PercentDecode(string s)
        {
            if (s.IndexOf('%') < 0) return s;
            var bytes = new List<byte>(s.Length);
            var utf8 = Encoding.UTF8;
            for (int i = 0; i < s.Length; i++)
            {
                char c = s[i];
                if (c == '%')
                {
                    if (i + 2 >= s.Length) return null;
                    int h = Hex(s[i + 1]), l = Hex(s[i + 2]);
                    if (h < 0 || l < 0) return null;
                    bytes.Add((byte)(h * 16 + l));
                    i += 2;
                }
                else if (c < 0x80)
                {
                    bytes.Add((byte)c);
                }
                else
                {
                    bytes.AddRange(utf8.GetBytes(c.ToString()));
                }
            }
            return utf8.GetString(bytes.ToArray());
        }

        /// <summary>Go path.Clean for the paths used here.</summary>
        internal static string Clean(string p)
        {
            if (p.Length == 0) return ".";
            bool rooted = p[0] == '/';
            var parts = new List<string>();
            foreach (var seg in p.Split('/'))
            {
                if (seg.Length == 0 || seg == ".") continue;
                if (seg == "..")
                {
                    if (parts.Count > 0 && parts[parts.Count - 1] != "..") parts.RemoveAt(parts.Count - 1);
                    else if (!rooted) parts.Add("..");
                    continue;
                }
                parts.Add(seg);
            }
            var joined = string.Join('/', parts);
            if (rooted) return "/" + joined;
            return joined.Length == 0 ? "." : joined;
        }

        /// <summary>Segment-aligned prefix: equal, or the path continues with '/' after the prefix ('/' matches all).</summary>
        public static bool SegmentPrefixMatch(string path, string prefix)
        {
            if (!path.StartsWith(prefix, StringComparison.Ordinal)) return false;
            if (path.Length == prefix.Length) return true;
            return prefix.EndsWith('/') || path[prefix.Length] == '/';
        }
    }
}
