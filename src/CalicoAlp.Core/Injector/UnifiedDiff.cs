using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace CalicoAlp.Core.Injector
{
    /// <summary>A line-based unified diff (diff -u style, 3 lines of context by default).</summary>
    public static class UnifiedDiff
    {
        /// <summary>The diff of two texts; empty when they are equal.</summary>
        public static string Create(string before, string after, string fromName = "a/config", string toName = "b/config", int context = 3)
        {
            ArgumentNullException.ThrowIfNull(before);
            ArgumentNullException.ThrowIfNull(after);
            if (string.Equals(before, after, StringComparison.Ordinal)) return "";
            var a = before.Split('\n');
            var b = after.Split('\n');
            var ops = Script(a, b);

            var sb = new StringBuilder();
            sb.Append("--- ").Append(fromName).Append('\n');
            sb.Append("+++ ").Append(toName).Append('\n');
            var i = 0;
            while (i < ops.Count)
            {
                // find the next change
                while (i < ops.Count && ops[i].Kind == ' ') i++;
                if (i >= ops.Count) break;
                var start = Math.Max(0, i - context);
                // extend the hunk while changes are within 2*context of each other
                var end = i;
                var lastChange = i;
                while (end < ops.Count)
                {
                    if (ops[end].Kind != ' ') lastChange = end;
                    else if (end - lastChange > 2 * context) break;
                    end++;
                }
                end = Math.Min(ops.Count, lastChange + context + 1);
                var aStart = ops[start].A;
                var bStart = ops[start].B;
                int aCount = 0, bCount = 0;
                for (var k = start; k < end; k++)
                {
                    if (ops[k].Kind != '+') aCount++;
                    if (ops[k].Kind != '-') bCount++;
                }
                sb.Append("@@ -").Append(Range(aStart, aCount)).Append(" +").Append(Range(bStart, bCount)).Append(" @@\n");
                for (var k = start; k < end; k++)
                {
                    var line = ops[k].Kind == '+' ? b[ops[k].B] : a[ops[k].A];
                    sb.Append(ops[k].Kind).Append(line).Append('\n');
                }
                i = end;
            }
            return sb.ToString();
        }

        private static string Range(int start, int count) =>
            count == 0 ? $"{start.ToString(CultureInfo.InvariantCulture)},0" : count == 1 ? (start + 1).ToString(CultureInfo.InvariantCulture) : $"{(start + 1).ToString(CultureInfo.InvariantCulture)},{count.ToString(CultureInfo.InvariantCulture)}";

        private readonly record struct Op(char Kind, int A, int B);

        /// <summary>Edit script: common prefix/suffix, longest common subsequence in between.</summary>
        private static List<Op> Script(string[] a, string[] b)
        {
            var pre = 0;
            while (pre < a.Length && pre < b.Length && a[pre] == b[pre]) pre++;
            var suf = 0;
            while (suf < a.Length - pre && suf < b.Length - pre && a[a.Length - 1 - suf] == b[b.Length - 1 - suf]) suf++;
            var n = a.Length - pre - suf;
            var m = b.Length - pre - suf;
            var ops = new List<Op>();
            for (var k = 0; k < pre; k++) ops.Add(new Op(' ', k, k));
            if ((long)n * m > 4_000_000)
            {
                // too big for the table: all of the middle replaced
                for (var k = 0; k < n; k++) ops.Add(new Op('-', pre + k, pre));
                for (var k = 0; k < m; k++) ops.Add(new Op('+', pre + n, pre + k));
            }
            else
            {
                var lcs = new int[n + 1, m + 1];
                for (var x = n - 1; x >= 0; x--)
                {
                    for (var y = m - 1; y >= 0; y--)
                    {
                        lcs[x, y] = a[pre + x] == b[pre + y] ? lcs[x + 1, y + 1] + 1 : Math.Max(lcs[x + 1, y], lcs[x, y + 1]);
                    }
                }
                int xi = 0, yi = 0;
                while (xi < n || yi < m)
                {
                    if (xi < n && yi < m && a[pre + xi] == b[pre + yi])
                    {
                        ops.Add(new Op(' ', pre + xi, pre + yi));
                        xi++;
                        yi++;
                    }
                    else if (xi < n && (yi >= m || lcs[xi + 1, yi] >= lcs[xi, yi + 1]))
                    {
                        ops.Add(new Op('-', pre + xi, pre + yi));
                        xi++;
                    }
                    else
                    {
                        ops.Add(new Op('+', pre + xi, pre + yi));
                        yi++;
                    }
                }
            }
            for (var k = 0; k < suf; k++) ops.Add(new Op(' ', a.Length - suf + k, b.Length - suf + k));
            return ops;
        }
    }
}
