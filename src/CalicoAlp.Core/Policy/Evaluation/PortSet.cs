using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>Numeric ports and ranges (inclusive) as parallel arrays; named ports are remembered but never match (spec 9.1).</summary>
    internal sealed class PortSet
    {
        private readonly int[] _min;
        private readonly int[] _max;

        private PortSet(int[] min, int[] max, string[] named)
        {
            _min = min;
            _max = max;
            Named = named;
        }

        public string[] Named { get; }

        public static PortSet? Compile(IReadOnlyList<PortSpec> ports)
        {
            if (ports.Count == 0) return null;
            var min = new List<int>();
            var max = new List<int>();
            var named = new List<string>();
            foreach (var p in ports)
            {
                if (p.IsNamed) named.Add(p.Name!);
                else
                {
                    min.Add(p.Min);
                    max.Add(p.Max);
                }
            }
            return new PortSet(min.ToArray(), max.ToArray(), named.ToArray());
        }

        /// <summary>Smallest and largest numeric port; (1, 0) when there is none (then <see cref="Contains"/> is always false).</summary>
        public (int Min, int Max) Envelope()
        {
            if (_min.Length == 0) return (1, 0);
            int lo = int.MaxValue, hi = int.MinValue;
            for (int i = 0; i < _min.Length; i++)
            {
                if (_min[i] < lo) lo = _min[i];
                if (_max[i] > hi) hi = _max[i];
            }
            return (lo, hi);
        }

        /// <summary>Number of numeric ranges.</summary>
        public int RangeCount => _min.Length;

        /// <summary>The i-th numeric range (inclusive).</summary>
        public (int Min, int Max) Range(int i) => (_min[i], _max[i]);

        public bool Contains(int port)
        {
            var min = _min;
            var max = _max;
            for (int i = 0; i < min.Length; i++)
            {
                if (port >= min[i] && port <= max[i]) return true;
            }
            return false;
        }
    }
}
