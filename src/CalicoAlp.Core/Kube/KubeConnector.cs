using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using k8s;
using k8s.KubeConfigModels;

namespace CalicoAlp.Core.Kube
{
    /// <summary>
    /// Resolves a kubeconfig the way kubectl does and opens a <see cref="KubeApi"/> on it:
    /// explicit files (-Kubeconfig), else the KUBECONFIG path list (merged, first file wins, missing files skipped),
    /// else ~/.kube/config, else the in-cluster service account. TLS verification stays on unless the user asked.
    /// </summary>
    public static class KubeConnector
    {
        public static KubeApi Connect(KubeConnectionOptions options, IOperationLog log)
        {
            KubernetesClientConfiguration.ExecTimeout = KubeCredentialErrors.ExecTimeout;
            var target = Resolve(options); // reads the kubeconfig once; BuildConfig and UserOf use target.Config
            var config = BuildConfig(target);
            if (options.SkipTlsVerify)
            {
                config.SkipTlsVerify = true;
                log.Warning("TLS verification of the API server is turned off (-SkipTlsVerify).");
            }
            else if (config.SkipTlsVerify)
            {
                // The user turned it off in the kubeconfig: honoured, as kubectl does, but never silently.
                log.Warning($"TLS verification of the API server is turned off for context '{target.ContextName}': its cluster sets insecure-skip-tls-verify: true in the kubeconfig.");
            }
            var user = target.InCluster ? null : UserOf(target);
            foreach (var (field, value) in new[] { ("token", config.AccessToken), ("password", config.Password), ("username", config.Username) })
            {
                if (KubeCredentialErrors.CheckHeaderText(value) is { } why)
                    throw KubeCredentialErrors.Credential(target.ContextName, user?.Name, field, why);
            }
            config.HttpClientTimeout = System.Threading.Timeout.InfiniteTimeSpan; // per-attempt timeouts are the RetryHandler's
            var retry = new RetryHandler(options, log);
            var logging = new ApiLogHandler(log);
            Kubernetes client;
            try
            {
                client = new Kubernetes(config, logging, retry); // loads the client certificate and key
            }
            catch (System.Security.Cryptography.CryptographicException ex)
            {
                throw KubeCredentialErrors.ClientCertificate(ex, target.ContextName, user?.Name);
            }
            log.Verbose($"Using context '{target.ContextName}' ({target.Source}); API server {config.Host}.");
            return new KubeApi(client, target.ContextName, config.Host ?? "", target.KubeconfigDisplay, log)
            {
                ExecCommand = user?.UserCredentials?.ExternalExecution?.Command,
            };
        }

        /// <summary>The user entry of the target's context (null when it has none).</summary>
        private static User? UserOf(KubeTarget target)
        {
            var merged = target.Config ?? LoadMerged(target.Files);
            var userName = merged.Contexts?.FirstOrDefault(c => c.Name == target.ContextName)?.ContextDetails?.User;
            return merged.Users?.FirstOrDefault(u => u.Name == userName);
        }

        /// <summary>The kubeconfig files a call would use, the context, and where they came from.</summary>
        public sealed record KubeTarget(IReadOnlyList<string> Files, string ContextName, string Source, bool InCluster)
        {
            /// <summary>The merged kubeconfig the context was found in (null in-cluster); read only.</summary>
            public K8SConfiguration? Config { get; init; }

            /// <summary>The file list as the user would pass it back to -Kubeconfig (path-separator joined).</summary>
            public string? KubeconfigDisplay => Files.Count == 0 ? null : string.Join(Path.PathSeparator, Files);
        }

        public static KubeTarget Resolve(KubeConnectionOptions options)
        {
            var files = ResolveFiles(options, out var source);
            if (files.Count == 0)
            {
                var host = options.Environment("KUBERNETES_SERVICE_HOST");
                if (!string.IsNullOrEmpty(host) && !string.IsNullOrEmpty(options.Environment("KUBERNETES_SERVICE_PORT")))
                {
                    return new KubeTarget(files, options.Context ?? "in-cluster", "in-cluster service account", true);
                }
                throw new AlpException("KubeconfigNotFound", AlpErrorKind.ObjectNotFound,
                    "No kubeconfig found: -Kubeconfig was not given, $KUBECONFIG names no existing file, ~/.kube/config does not exist, and this is not a pod in a cluster.",
                    "kubeconfig")
                { RecommendedAction = "Pass -Kubeconfig <file>, set $env:KUBECONFIG, or run where ~/.kube/config exists." };
            }

            var merged = LoadMerged(files);
            var context = options.Context ?? merged.CurrentContext;
            if (string.IsNullOrEmpty(context))
            {
                throw new AlpException("KubeContextNotSet", AlpErrorKind.InvalidArgument,
                    $"The kubeconfig ({string.Join(", ", files)}) has no current-context; pass -Context. Contexts: {ContextList(merged)}.", "Context");
            }
            if (merged.Contexts == null || !merged.Contexts.Any(c => c.Name == context))
            {
                throw new AlpException("KubeContextNotFound", AlpErrorKind.ObjectNotFound,
                    $"Context '{context}' is not in the kubeconfig ({string.Join(", ", files)}). Contexts: {ContextList(merged)}.", context);
            }
            var details = merged.Contexts.First(c => c.Name == context).ContextDetails;
            var clusterName = details?.Cluster;
            if (string.IsNullOrEmpty(clusterName) || merged.Clusters == null || !merged.Clusters.Any(c => c.Name == clusterName))
            {
                throw new AlpException("KubeClusterNotFound", AlpErrorKind.ObjectNotFound,
                    $"Context '{context}' names cluster '{clusterName}', which is not in the kubeconfig ({string.Join(", ", files)}).", context);
            }
            var userName = details?.User;
            if (!string.IsNullOrEmpty(userName) && (merged.Users == null || !merged.Users.Any(u => u.Name == userName)))
            {
                throw new AlpException("KubeUserNotFound", AlpErrorKind.ObjectNotFound,
                    $"Context '{context}' names user '{userName}', which is not in the kubeconfig ({string.Join(", ", files)}).", context);
            }
            return new KubeTarget(files, context, source, false) { Config = merged };
        }

        /// <summary>The context names of the kubeconfig a call would use (for argument completion); never throws.</summary>
        public static IReadOnlyList<string> ListContexts(KubeConnectionOptions options)
        {
            try
            {
                var files = ResolveFiles(options, out _);
                if (files.Count == 0) return Array.Empty<string>();
                var merged = LoadMerged(files);
                return merged.Contexts?.Select(c => c.Name).Where(n => !string.IsNullOrEmpty(n)).ToArray() ?? Array.Empty<string>();
            }
            catch (Exception)
            {
                return Array.Empty<string>();
            }
        }

        private static string ContextList(K8SConfiguration config) =>
            config.Contexts == null || !config.Contexts.Any() ? "(none)" : string.Join(", ", config.Contexts.Select(c => c.Name));

        private static IReadOnlyList<string> ResolveFiles(KubeConnectionOptions options, out string source)
        {
            if (options.KubeconfigPaths.Count > 0)
            {
                var explicitFiles = options.KubeconfigPaths
                    .SelectMany(p => p.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    .ToList();
                foreach (var f in explicitFiles)
                {
                    if (!File.Exists(f) && !Directory.Exists(f))
                    {
                        throw new AlpException("KubeconfigNotFound", AlpErrorKind.ObjectNotFound, $"Kubeconfig file '{f}' does not exist.", f);
                    }
                    IO.InputFile.RequireRegular(f, "kubeconfig"); // a folder, FIFO or device: InputNotRegularFile
                }
                source = "-Kubeconfig";
                return explicitFiles;
            }
            var env = options.Environment("KUBECONFIG");
            if (!string.IsNullOrWhiteSpace(env))
            {
                source = "$KUBECONFIG";
                return env.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Where(File.Exists).Distinct().ToList();
            }
            var home = options.Environment("HOME") ?? options.Environment("USERPROFILE") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            var defaultPath = Path.Combine(home, ".kube", "config");
            source = "~/.kube/config";
            return File.Exists(defaultPath) ? new[] { defaultPath } : Array.Empty<string>();
        }

        private static K8SConfiguration LoadMerged(IReadOnlyList<string> files)
        {
            try
            {
                // kubectl's merge rules: the first file to define a cluster, user or context wins, and so does the
                // first current-context. Relative certificate paths are resolved against their own file's folder.
                // The files' parsed objects may be shared (ParsedKubeconfigs): the merge is a new object with new lists.
                K8SConfiguration? merged = null;
                foreach (var file in files)
                {
                    var one = LoadOne(file);
                    if (merged == null)
                    {
                        merged = new K8SConfiguration
                        {
                            ApiVersion = one.ApiVersion, Kind = one.Kind, CurrentContext = one.CurrentContext, Preferences = one.Preferences,
                            Extensions = one.Extensions, Clusters = one.Clusters?.ToList(), Users = one.Users?.ToList(), Contexts = one.Contexts?.ToList(),
                        };
                        continue;
                    }
                    if (string.IsNullOrEmpty(merged.CurrentContext)) merged.CurrentContext = one.CurrentContext;
                    merged.Clusters = MergeNamed(merged.Clusters, one.Clusters, c => c.Name);
                    merged.Users = MergeNamed(merged.Users, one.Users, u => u.Name);
                    merged.Contexts = MergeNamed(merged.Contexts, one.Contexts, c => c.Name);
                }
                return merged!;
            }
            catch (Exception ex) when (ex is not AlpException)
            {
                throw new AlpException("KubeconfigInvalid", AlpErrorKind.InvalidData,
                    $"Cannot read the kubeconfig ({string.Join(", ", files)}): {ex.Message}", files[0], ex);
            }
        }

        /// <summary>
        /// One kubeconfig file, read through <see cref="IO.InputFile"/> (regular file, size limit, strict UTF-8) every
        /// time, and parsed unless the same path held the same bytes before (<see cref="ParsedKubeconfigs"/>): parsing
        /// was most of a call's own CPU, once per cluster of a fleet. Relative certificate paths are made absolute
        /// against the file's folder. The object returned is shared: read it, never change it.
        /// </summary>
        private static K8SConfiguration LoadOne(string file)
        {
            var text = IO.InputFile.ReadText(file, "kubeconfig");
            var path = Path.GetFullPath(file);
            var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
            if (ParsedKubeconfigs.TryGetValue(path, out var known) && known.Hash == hash) return known.Config;
            var config = Parse(text, file);
            AbsolutizePaths(config, Path.GetDirectoryName(path) ?? ".");
            if (ParsedKubeconfigs.Count >= MaxParsedKubeconfigs) ParsedKubeconfigs.Clear();
            ParsedKubeconfigs[path] = (hash, config);
            return config;
        }

        /// <summary>How many parsed kubeconfig files are kept (a bound, not a tuning knob).</summary>
        private const int MaxParsedKubeconfigs = 32;

        /// <summary>Parsed kubeconfig files by full path, with the SHA-256 of the text they were parsed from: a file whose bytes change is parsed again.</summary>
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string Hash, K8SConfiguration Config)> ParsedKubeconfigs = new(StringComparer.Ordinal);

        /// <summary>
        /// A kubeconfig's text, parsed once through the YAML limits (depth, alias expansion, documents) and mapped to
        /// KubernetesClient's model by <see cref="KubeconfigReader"/>.
        /// </summary>
        private static K8SConfiguration Parse(string text, string file)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                throw new AlpException("KubeconfigInvalid", AlpErrorKind.InvalidData, $"The kubeconfig {file} is empty.", file)
                { RecommendedAction = "Pass a kubeconfig with clusters, users and contexts (kubectl config view shows yours)." };
            }
            var stream = new YamlDotNet.RepresentationModel.YamlStream();
            try
            {
                // One parse: the limits (depth, alias expansion, documents) are checked as the events stream by.
                stream.Load(new Yaml.NestingLimitParser(new YamlDotNet.Core.Parser(new StringReader(text)), InputLimits.DocumentNesting));
            }
            catch (Yaml.NestingTooDeepException ex)
            {
                throw ex.ToAlpException(file);
            }
            catch (Yaml.YamlLimitException ex)
            {
                throw ex.ToAlpException(file);
            }
            catch (YamlDotNet.Core.YamlException ex)
            {
                var where = ex.Start.Line > 0 ? $"{file}:{ex.Start.Line}" : file;
                throw new AlpException("KubeconfigInvalid", AlpErrorKind.InvalidData, $"{where}: the kubeconfig is not valid YAML: {ex.Message}", where, ex);
            }
            if (stream.Documents.Count == 0)
            {
                throw new AlpException("KubeconfigInvalid", AlpErrorKind.InvalidData, $"The kubeconfig {file} holds no configuration.", file);
            }
            if (stream.Documents.Count > 1)
            {
                var second = $"{file}:{stream.Documents[1].RootNode.Start.Line}";
                throw new AlpException("KubeconfigInvalid", AlpErrorKind.InvalidData, $"{second}: a kubeconfig is one YAML document; this file holds {stream.Documents.Count}.", second);
            }
            K8SConfiguration config;
            try
            {
                config = KubeconfigReader.Read(stream.Documents[0].RootNode);
            }
            catch (KubeconfigReader.ShapeException ex)
            {
                var where = ex.Line > 0 ? $"{file}:{ex.Line}" : file;
                throw new AlpException("KubeconfigInvalid", AlpErrorKind.InvalidData,
                    $"{where}: not a kubeconfig: {ex.Message}.", where, ex)
                { RecommendedAction = "Compare it with `kubectl config view`: clusters, users and contexts are lists of {name, ...} objects." };
            }
            return config;
        }

        private static List<T> MergeNamed<T>(IEnumerable<T>? first, IEnumerable<T>? second, Func<T, string> name)
        {
            var result = (first ?? Enumerable.Empty<T>()).ToList();
            var seen = new HashSet<string>(result.Select(name), StringComparer.Ordinal);
            foreach (var item in second ?? Enumerable.Empty<T>())
            {
                if (seen.Add(name(item))) result.Add(item);
            }
            return result;
        }

        private static void AbsolutizePaths(K8SConfiguration config, string folder)
        {
            string? Abs(string? p) => string.IsNullOrEmpty(p) || Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(folder, p));
            foreach (var c in config.Clusters ?? Enumerable.Empty<Cluster>())
            {
                if (c.ClusterEndpoint != null) c.ClusterEndpoint.CertificateAuthority = Abs(c.ClusterEndpoint.CertificateAuthority);
            }
            foreach (var u in config.Users ?? Enumerable.Empty<User>())
            {
                if (u.UserCredentials == null) continue;
                u.UserCredentials.ClientCertificate = Abs(u.UserCredentials.ClientCertificate);
                u.UserCredentials.ClientKey = Abs(u.UserCredentials.ClientKey);
            }
        }

        private static KubernetesClientConfiguration BuildConfig(KubeTarget target)
        {
            try
            {
                if (target.InCluster)
                {
                    return KubernetesClientConfiguration.InClusterConfig();
                }
                var merged = target.Config ?? LoadMerged(target.Files);
                return KubernetesClientConfiguration.BuildConfigFromConfigObject(merged, target.ContextName);
            }
            catch (System.Security.Cryptography.CryptographicException ex)
            {
                throw KubeCredentialErrors.ClientCertificate(ex, target.ContextName, UserOf(target)?.Name);
            }
            catch (Exception ex) when (ex is not AlpException && KubeCredentialErrors.FromExec(ex, target.ContextName, UserOf(target)?.UserCredentials?.ExternalExecution?.Command) is { } exec)
            {
                throw exec;
            }
            catch (Exception ex) when (ex is not AlpException)
            {
                throw new AlpException("KubeconfigInvalid", AlpErrorKind.InvalidData,
                    $"Cannot use context '{target.ContextName}' from {target.Source}: {ex.Message}", target.ContextName, ex);
            }
        }
    }
}
