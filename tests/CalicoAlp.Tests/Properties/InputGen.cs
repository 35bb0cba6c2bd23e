using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using CalicoAlp.Tests.Infrastructure;
using CsCheck;

namespace CalicoAlp.Tests.Properties
{
    /// <summary>CsCheck's random stream (PCG) as the few draws the generators here need.</summary>
    internal sealed class Draw
    {
        private readonly PCG _pcg;
        public Draw(PCG pcg) => _pcg = pcg;
        public int Next(int n) => n <= 1 ? 0 : (int)_pcg.Next((uint)n);
        public int Between(int lo, int hi) => lo + Next(hi - lo + 1);
        public bool Chance(int percent) => Next(100) < percent;
        public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];
        /// <summary>A seed for code that takes a System.Random (the policy generator of the differential tests).</summary>
        public int Seed() => (int)_pcg.Next();
    }

    /// <summary>
    /// A CsCheck generator from a function of <see cref="Draw"/>: CsCheck drives the random stream (its seed reproduces a
    /// failure) and shrinks by <paramref name="size"/>, so a failing case is reported at its smallest size found.
    /// </summary>
    internal sealed class DrawGen<T> : Gen<T>
    {
        private readonly Func<Draw, T> _make;
        private readonly Func<T, ulong> _size;

        public DrawGen(Func<Draw, T> make, Func<T, ulong> size)
        {
            _make = make;
            _size = size;
        }

        public override T Generate(PCG pcg, Size? min, out Size size)
        {
            var value = _make(new Draw(pcg));
            size = new Size(_size(value));
            return value;
        }
    }

    /// <summary>Generated and mutated text for the parsers: structured pieces, seeds from the fuzz corpus, and mutations of both.</summary>
    internal static class InputGen
    {
        public static Gen<string> Text(Func<Draw, string> make) => new DrawGen<string>(make, s => (ulong)s.Length);

        /// <summary>The fuzz project's seed corpus for a target (tests/CalicoAlp.Fuzz/seeds/&lt;target&gt;), as text.</summary>
        public static IReadOnlyList<string> Seeds(string target) => SeedCache.GetOrAdd(target, ReadSeeds);

        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyList<string>> SeedCache = new(StringComparer.Ordinal);

        private static IReadOnlyList<string> ReadSeeds(string target) =>
            Directory.GetFiles(Path.Combine(RepoPaths.Root, "tests", "CalicoAlp.Fuzz", "seeds", target))
                .OrderBy(f => f, StringComparer.Ordinal)
                .Select(f => File.ReadAllText(f, new UTF8Encoding(false)))
                .ToArray();

        /// <summary>Characters that parsers treat specially, and some they should never see.</summary>
        private static readonly string[] Odd =
        {
            "\0", "\t", "\r", "\n", "\r\n", " ", "'", "\"", "\\", "/", "%", "{", "}", "[", "]", "(", ")", ",", ":", ";", "?", "#",
            "&", "*", "!", "|", "=", "-", "+", ".", "..", "~", "<<", ">", "@", "`", "é", "\u200b", "\uFEFF", "\uD83D\uDE00", "\uD800",
            "\u0085", "\u2028", "0", "-1", "99999999999999999999", "1e400", "0x50", "NaN", "null", "true", "",
        };

        /// <summary>One to four mutations: insert an odd piece or a token, delete, duplicate or move a span, truncate.</summary>
        public static string Mutate(Draw d, string s, IReadOnlyList<string> tokens)
        {
            var sb = new StringBuilder(s);
            int n = d.Between(1, 4);
            for (int i = 0; i < n; i++)
            {
                int at = d.Next(sb.Length + 1);
                switch (d.Next(7))
                {
                    case 0: sb.Insert(at, d.Pick(Odd)); break;
                    case 1: sb.Insert(at, d.Pick(tokens)); break;
                    case 2:
                        if (sb.Length > 0)
                        {
                            int start = Math.Min(at, sb.Length - 1);
                            sb.Remove(start, Math.Min(d.Between(1, 8), sb.Length - start));
                        }
                        break;
                    case 3:
                        if (at < sb.Length)
                        {
                            var span = sb.ToString(at, Math.Min(d.Between(1, 40), sb.Length - at));
                            sb.Insert(d.Next(sb.Length + 1), span);
                        }
                        break;
                    case 4: if (sb.Length > 0) sb.Length = d.Next(sb.Length); break;
                    case 5: if (at < sb.Length) sb[at] = (char)d.Between(0, 0x7f); break;
                    default:
                        if (at < sb.Length) sb[at] = d.Pick(Odd) is { Length: 1 } c ? c[0] : sb[at];
                        break;
                }
            }
            return sb.ToString();
        }

        /// <summary>A seed, a structured input, or a mutation of either.</summary>
        public static Gen<string> SeedsAndStructure(string target, Func<Draw, string> structured, IReadOnlyList<string> tokens)
        {
            var seeds = Seeds(target);
            return Text(d =>
            {
                var start = d.Chance(50) ? d.Pick(seeds) : structured(d);
                return d.Chance(25) ? start : Mutate(d, start, tokens);
            });
        }
    }
}
