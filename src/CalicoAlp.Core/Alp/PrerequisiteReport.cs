using System.Collections.Generic;

namespace CalicoAlp.Core.Alp
{
    /// <summary>What a cluster has of ALP's prerequisites: Calico (Kubernetes datastore), Istio, mutual TLS.</summary>
    public sealed class PrerequisiteReport
    {
        public string Context { get; init; } = "";
        public string? KubernetesVersion { get; init; }
        public bool CalicoFound { get; init; }
        public string? CalicoVersion { get; init; }
        public string? CalicoVersionSource { get; init; }
        public bool IstioFound { get; init; }
        public string? IstioVersion { get; init; }
        public string? IstioVersionSource { get; init; }
        public bool MutualTls { get; init; }
        public string? MutualTlsSource { get; init; }
        /// <summary>Why ALP cannot be enabled as things stand (empty: ready).</summary>
        public IReadOnlyList<string> Problems { get; init; } = new List<string>();
        /// <summary>Things worth knowing that do not block.</summary>
        public IReadOnlyList<string> Notes { get; init; } = new List<string>();
        public bool Ready => Problems.Count == 0;
    }
}
