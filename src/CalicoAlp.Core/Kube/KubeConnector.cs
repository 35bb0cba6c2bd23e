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
            var target = Resolve(options);
            var config = BuildConfig(target);
            if (options.SkipTlsVerify)
            {
                config.SkipTlsVerify = true;
                log.Warning("TLS verification of the API server is turned off (-SkipTlsVerify).");
            }
            config.HttpClientTimeout = System.Threading.Timeout.InfiniteTimeSpan; // per-attempt timeouts are the RetryHandler's
            var retry = new RetryHandler(options, log);
            var logging = new ApiLogHandler(log);
            var client = new Kubernetes(config, logging, retry);
            log.Verbose($"Using context '{target.ContextName}' ({target.Source}); API server {config.Host}.");
            return new KubeApi(client, target.ContextName, config.Host ?? "", target.KubeconfigDisplay, log);
        }

        /// <summary>The kubeconfig files a call would use, the context, and where they came from.</summary>
        public sealed record KubeTarget(IReadOnlyList<string> Files, string ContextName, string Source, bool InCluster)
        {
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
            return new KubeTarget(files, context, source, false);
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
                    if (!File.Exists(f))
                    {
                        throw new AlpException("KubeconfigNotFound", AlpErrorKind.ObjectNotFound, $"Kubeconfig file '{f}' does not exist.", f);
                    }
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
                K8SConfiguration? merged = null;
                foreach (var file in files)
                {
                    var one = KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(file), useRelativePaths: false);
                    AbsolutizePaths(one, Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".");
                    if (merged == null)
                    {
                        merged = one;
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
                var merged = LoadMerged(target.Files);
                return KubernetesClientConfiguration.BuildConfigFromConfigObject(merged, target.ContextName);
            }
            catch (Exception ex) when (ex is not AlpException)
            {
                throw new AlpException("KubeconfigInvalid", AlpErrorKind.InvalidData,
                    $"Cannot use context '{target.ContextName}' from {target.Source}: {ex.Message}", target.ContextName, ex);
            }
        }
    }
}
