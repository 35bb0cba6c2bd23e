using System;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>
    /// A 64-bit hash of what makes an endpoint (namespace, service account, labels in any order, named ports), computed
    /// without allocating, and the equality that a cached endpoint is checked with (a hash alone may collide).
    /// </summary>
    internal static class WorkloadHash
    {
        public static ulong Of(WorkloadInfo w)
        {
            ulong h = Mix(Fnv(w.Namespace) ^ (Fnv(w.ServiceAccount) * 31));
            ulong labels = (ulong)w.Labels.Count;
            if (w.Labels is System.Collections.Generic.Dictionary<string, string> d)
            {
                foreach (var kv in d) labels += Mix(Fnv(kv.Key) ^ (Fnv(kv.Value) * 0x9E3779B97F4A7C15UL));
            }
            else
            {
                foreach (var kv in w.Labels) labels += Mix(Fnv(kv.Key) ^ (Fnv(kv.Value) * 0x9E3779B97F4A7C15UL));
            }
            h = Mix(h ^ labels);
            var ports = w.NamedPorts;
            for (int i = 0; i < ports.Count; i++) h = Mix(h ^ Fnv(ports[i].Name) ^ (Fnv(ports[i].Protocol) << 1) ^ (ulong)ports[i].Port);
            return h;
        }

        /// <summary>Same namespace, service account, labels (any order) and named ports (in order).</summary>
        public static bool SameWorkload(WorkloadInfo a, WorkloadInfo b)
        {
            if (ReferenceEquals(a, b)) return true;
            if (!string.Equals(a.Namespace, b.Namespace, StringComparison.Ordinal) ||
                !string.Equals(a.ServiceAccount, b.ServiceAccount, StringComparison.Ordinal) ||
                a.Labels.Count != b.Labels.Count || a.NamedPorts.Count != b.NamedPorts.Count)
            {
                return false;
            }
            foreach (var kv in a.Labels)
            {
                if (!b.Labels.TryGetValue(kv.Key, out var v) || !string.Equals(v, kv.Value, StringComparison.Ordinal)) return false;
            }
            for (int i = 0; i < a.NamedPorts.Count; i++)
            {
                if (a.NamedPorts[i] != b.NamedPorts[i]) return false;
            }
            return true;
        }

        private static ulong Fnv(string s)
        {
            ulong h = 14695981039346656037UL;
            foreach (char c in s) h = (h ^ c) * 1099511628211UL;
            return h;
        }

        /// <summary>SplitMix64 finaliser.</summary>
        private static ulong Mix(ulong z)
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
