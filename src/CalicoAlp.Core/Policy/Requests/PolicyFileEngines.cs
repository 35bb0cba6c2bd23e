using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Loading;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Requests
{
    /// <summary>
    /// Engines compiled from policy files, kept across pipelines for the process (<see cref="Shared"/>): loading and
    /// compiling a 20,000-rule set takes about a second, which a session that runs Test-AlpRequest again and again over
    /// the same files would otherwise pay every time. An engine is found by the files' content, not their names or times:
    /// each lookup lists the files (<see cref="PolicyLoader.FilesOf"/>) and reads them, and a SHA-256 over every file's
    /// name and text (with the Calico release) is the key, so an edited, added or removed file is a new key and is
    /// compiled afresh. At most <see cref="Capacity"/> engines are kept (least recently used dropped first). Thread-safe
    /// (runspaces of one process share it); engines are immutable, so sharing one between pipelines is safe.
    /// </summary>
    public sealed class PolicyFileEngines
    {
        /// <summary>Engines kept by <see cref="Shared"/>: a large compiled set retains tens of MB.</summary>
        public const int DefaultCapacity = 4;

        /// <summary>The process's cache (Test-AlpRequest's pipelines and access-log replays).</summary>
        public static PolicyFileEngines Shared { get; } = new(DefaultCapacity);

        private readonly object _lock = new();
        // Most recently used last; a handful of entries, so a list is enough.
        private readonly List<(string Key, PolicyEngine Engine)> _entries = new();

        public PolicyFileEngines(int capacity)
        {
            if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "At least one engine must be kept.");
            Capacity = capacity;
        }

        public int Capacity { get; }

        /// <summary>Engines kept now.</summary>
        public int Count
        {
            get
            {
                lock (_lock) return _entries.Count;
            }
        }

        /// <summary>
        /// The engine of <paramref name="paths"/> (files or folders, already resolved) for <paramref name="behavior"/>:
        /// the kept one when the files' content is the same as when it was compiled, else loaded (each path as
        /// <see cref="PolicyLoader.LoadPath"/> loads it, merged in order) and compiled, and kept.
        /// </summary>
        /// <param name="verbose">Receives what is loaded, compiled or reused (null: not reported).</param>
        public PolicyEngine Get(IReadOnlyList<string> paths, CalicoBehavior behavior, Action<string>? verbose = null,
            System.Threading.CancellationToken cancellationToken = default, Action<string>? warning = null)
        {
            var contents = new List<List<(string Text, string File)>>(paths.Count);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            Append(sha, behavior.ToString());
            foreach (var path in paths)
            {
                var files = new List<(string Text, string File)>();
                Append(sha, "\0path\0" + path);
                foreach (var file in PolicyLoader.FilesOf(path))
                {
                    var text = PolicyLoader.ReadFile(file, cancellationToken);
                    Append(sha, "\0file\0" + file + "\0" + text.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\0");
                    Append(sha, text);
                    files.Add((text, file));
                }
                contents.Add(files);
            }
            var key = Convert.ToHexString(sha.GetHashAndReset());
            lock (_lock)
            {
                int i = _entries.FindIndex(e => e.Key == key);
                if (i >= 0)
                {
                    var hit = _entries[i];
                    _entries.RemoveAt(i);
                    _entries.Add(hit);
                    verbose?.Invoke($"Reusing the policy compiled earlier from {string.Join(", ", paths)} for Calico {behavior} (files unchanged)");
                    return hit.Engine;
                }
            }
            var set = PolicySet.Empty;
            for (int p = 0; p < paths.Count; p++)
            {
                verbose?.Invoke($"Loading policy from {paths[p]}");
                set = set.Merge(PolicyLoader.LoadFiles(contents[p], cancellationToken, warning));
            }
            PolicyLoader.CheckUnique(set);
            var engine = PolicyEngine.Compile(set, behavior);
            verbose?.Invoke($"Compiled {set.Policies.Count} policies, {set.Profiles.Count} profiles, {engine.IpSetCount} selector IP sets for Calico {behavior}");
            lock (_lock)
            {
                int i = _entries.FindIndex(e => e.Key == key);
                if (i >= 0) _entries.RemoveAt(i);
                _entries.Add((key, engine));
                while (_entries.Count > Capacity) _entries.RemoveAt(0);
            }
            return engine;
        }

        /// <summary>Drops every kept engine.</summary>
        public void Clear()
        {
            lock (_lock) _entries.Clear();
        }

        private static void Append(IncrementalHash sha, string s) => sha.AppendData(MemoryMarshal.AsBytes(s.AsSpan()));
    }
}
