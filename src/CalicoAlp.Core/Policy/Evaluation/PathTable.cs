using System;
using System.Collections.Generic;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>Rule positions per exact path string, looked up by span without allocating (FNV-1a hash, open addressing).</summary>
    internal sealed class PathTable
    {
        public const ulong Seed = 14695981039346656037UL;
        private readonly string?[] _keys;
        private readonly ulong[] _hashes;
        private readonly int[][] _lists;
        private readonly int _mask;
        /// <summary>Bit L set when some key has length L (L &gt;= 63: bit 63), so that most probes end without hashing a slot.</summary>
        private readonly ulong _lengths;

        public PathTable(Dictionary<string, List<int>> byPath)
        {
            int size = 4;
            while (size < byPath.Count * 2) size <<= 1;
            _keys = new string?[size];
            _hashes = new ulong[size];
            _lists = new int[size][];
            _mask = size - 1;
            foreach (var (key, list) in byPath)
            {
                ulong h = Seed;
                foreach (char c in key) h = Step(h, c);
                int slot = (int)(h & (ulong)_mask);
                while (_keys[slot] != null) slot = (slot + 1) & _mask;
                _keys[slot] = key;
                _hashes[slot] = h;
                _lists[slot] = [.. list];
                _lengths |= 1UL << Math.Min(key.Length, 63);
            }
        }

        public static ulong Step(ulong h, char c) => (h ^ c) * 1099511628211UL;

        public int[]? Find(ulong hash, ReadOnlySpan<char> key)
        {
            if ((_lengths & (1UL << Math.Min(key.Length, 63))) == 0) return null;
            int slot = (int)(hash & (ulong)_mask);
            while (true)
            {
                var k = _keys[slot];
                if (k == null) return null;
                if (_hashes[slot] == hash && key.SequenceEqual(k)) return _lists[slot];
                slot = (slot + 1) & _mask;
            }
        }
    }
}
