using System;
using System.Collections.Generic;

namespace CalicoAlp.Core.Kube
{
    /// <summary>How to reach a cluster, as the user asked for it (kubectl's rules apply where a value is absent).</summary>
    public sealed class KubeConnectionOptions
    {
        /// <summary>Explicit kubeconfig files (-Kubeconfig). Empty: $KUBECONFIG (a path list), then ~/.kube/config, then in-cluster.</summary>
        public IReadOnlyList<string> KubeconfigPaths { get; init; } = Array.Empty<string>();
        /// <summary>The kubeconfig context to use (-Context); null: the current context.</summary>
        public string? Context { get; init; }
        /// <summary>Turns TLS verification off. Only ever set by an explicit user switch.</summary>
        public bool SkipTlsVerify { get; init; }
        /// <summary>Timeout of one HTTP attempt.</summary>
        public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
        /// <summary>How many times a request is retried on 429/5xx/connection failures.</summary>
        public int MaxRetries { get; init; } = 4;
        /// <summary>First backoff delay; doubles each retry (with jitter), capped at 8 s; a Retry-After header wins.</summary>
        public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);
        /// <summary>Environment lookup (tests replace it); defaults to the process environment.</summary>
        public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;
    }
}
