using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Requests
{
    /// <summary>
    /// Compiled engines kept for the requests of one caller (one Test-AlpRequest pipeline): per policy source (the files
    /// a set of paths resolves to, or a cluster connection) and Calico release. A pipeline usually names the same policy
    /// and release for every record, so the last answer is reused without building a key; compiling (or even resolving
    /// the paths again) costs far more than evaluating a request. Engines of files come from <see cref="PolicyFileEngines"/>
    /// (kept across pipelines while the files' content is unchanged); a cluster's are compiled once per pipeline, since
    /// the cluster may have changed since the last one. Not thread-safe (one pipeline, one thread).
    /// </summary>
    public sealed class PolicyEngineCache
    {
        private readonly Dictionary<string, PolicyEngine> _engines = new(StringComparer.Ordinal);
        private readonly Dictionary<string, IReadOnlyList<string>> _files = new(StringComparer.Ordinal);
        private readonly Action<string>? _verbose;
        private readonly PolicyFileEngines _fileEngines;
        private string? _versionText;
        private CalicoBehavior? _behavior;
        private string? _lastSource;
        private CalicoBehavior? _lastBehavior;
        private PolicyEngine? _lastEngine;

        /// <param name="verbose">Receives what is loaded and compiled (null: not reported).</param>
        /// <param name="fileEngines">Where engines of policy files are kept across pipelines (null: <see cref="PolicyFileEngines.Shared"/>).</param>
        public PolicyEngineCache(Action<string>? verbose = null, PolicyFileEngines? fileEngines = null)
        {
            _verbose = verbose;
            _fileEngines = fileEngines ?? PolicyFileEngines.Shared;
        }

        /// <summary>The Calico release named by <paramref name="version"/> (null = newest); the last one parsed is reused.</summary>
        public CalicoBehavior Behavior(string? version)
        {
            if (_behavior == null || !string.Equals(_versionText, version, StringComparison.Ordinal))
            {
                _behavior = CalicoBehavior.Parse(version);
                _versionText = version;
            }
            return _behavior;
        }

        /// <summary>
        /// The engine of policy files. <paramref name="source"/> names the paths as given (with whatever they are relative to);
        /// <paramref name="resolve"/> turns them into files or folders the first time that source is seen.
        /// </summary>
        public PolicyEngine ForFiles(string source, Func<IReadOnlyList<string>> resolve, CalicoBehavior behavior,
            System.Threading.CancellationToken cancellationToken = default, Action<string>? warning = null)
        {
            if (_lastEngine != null && ReferenceEquals(behavior, _lastBehavior) && string.Equals(source, _lastSource, StringComparison.Ordinal)) return _lastEngine;
            if (!_files.TryGetValue(source, out var files))
            {
                files = resolve();
                _files[source] = files;
            }
            var key = "files\n" + string.Join("\n", files) + "\n" + behavior;
            if (!_engines.TryGetValue(key, out var engine))
            {
                engine = _fileEngines.Get(files, behavior, _verbose, cancellationToken, warning);
                _engines[key] = engine;
            }
            return Remember(source, behavior, engine);
        }

        /// <summary>The engine of a cluster's policies; <paramref name="load"/> reads them the first time the connection is seen.</summary>
        public PolicyEngine ForCluster(string connection, Func<PolicySet> load, CalicoBehavior behavior)
        {
            var key = "cluster\n" + connection + "\n" + behavior;
            if (!_engines.TryGetValue(key, out var engine))
            {
                var set = load();
                engine = PolicyEngine.Compile(set, behavior);
                _verbose?.Invoke($"Compiled {set.Policies.Count} policies of {connection} ({set.Namespaces.Count} namespaces, {set.ServiceAccounts.Count} service accounts) for Calico {behavior}");
                _engines[key] = engine;
            }
            return engine;
        }

        private PolicyEngine Remember(string source, CalicoBehavior behavior, PolicyEngine engine)
        {
            _lastSource = source;
            _lastBehavior = behavior;
            _lastEngine = engine;
            return engine;
        }
    }
}
