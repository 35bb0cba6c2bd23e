using System;
using System.Collections.Generic;
using CalicoAlp.Core.Generations;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Core.Alp
{
    /// <summary>
    /// What a cluster has of ALP's prerequisites: Calico (Kubernetes datastore, and which API group serves
    /// FelixConfiguration), Istio (control planes, the chosen revision and its generation), ambient mode, mutual TLS.
    /// </summary>
    public sealed class PrerequisiteReport
    {
        public string Context { get; init; } = "";
        public string? KubernetesVersion { get; init; }
        public bool CalicoFound { get; init; }
        public string? CalicoVersion { get; init; }
        public string? CalicoVersionSource { get; init; }
        /// <summary>The type FelixConfiguration is written through: crd.projectcalico.org/v1, or projectcalico.org/v3 (Calico 3.32 native CRDs).</summary>
        public ResourceType? FelixConfigurationType { get; init; }
        public bool IstioFound { get; init; }
        public string? IstioVersion { get; init; }
        public string? IstioVersionSource { get; init; }
        /// <summary>The revision whose generation is applied ("default" for istiod / istio-pilot).</summary>
        public string? IstioRevision { get; init; }
        /// <summary>Every control plane found ("istiod-1-10 (revision '1-10', Istio 1.10.2)").</summary>
        public IReadOnlyList<string> IstioRevisions { get; init; } = Array.Empty<string>();
        /// <summary>The control planes found (one LIST of istio-system Deployments), for callers that need more than their names.</summary>
        public IReadOnlyList<IstioControlPlane> ControlPlanes { get; init; } = Array.Empty<IstioControlPlane>();
        /// <summary>The generation applied (for an unsupported release, the nearest one, used with -Force).</summary>
        public IstioGeneration? Generation { get; init; }
        public InjectorLayout? IstioLayout => Generation?.Layout;
        public EnvoyFilterForm? EnvoyFilterForm => Generation?.EnvoyFilter;
        /// <summary>Signs of Istio's ambient mode (no sidecars, so nothing for Dikastes to sit beside).</summary>
        public IReadOnlyList<string> AmbientSigns { get; init; } = Array.Empty<string>();
        public bool Ambient => AmbientSigns.Count > 0;
        public bool MutualTls { get; init; }
        public string? MutualTlsSource { get; init; }
        /// <summary>STRICT or PERMISSIVE (weaker: plaintext is still accepted, Dikastes then falls back to IP identity).</summary>
        public string? MutualTlsMode { get; init; }
        public string? MutualTlsApi { get; init; }
        public string? MutualTlsRootNamespace { get; init; }
        /// <summary>Namespace- and workload-level PeerAuthentications that weaken the mesh-wide mode.</summary>
        public IReadOnlyList<string> MutualTlsOverrides { get; init; } = Array.Empty<string>();
        /// <summary>Why ALP cannot be enabled as things stand (empty: ready). -Force continues despite them.</summary>
        public IReadOnlyList<string> Problems { get; init; } = new List<string>();
        /// <summary>What the admin should know although it does not block (shown as warnings).</summary>
        public IReadOnlyList<string> Warnings { get; init; } = new List<string>();
        /// <summary>Details of the detection (shown as verbose).</summary>
        public IReadOnlyList<string> Notes { get; init; } = new List<string>();
        public bool Ready => Problems.Count == 0;
    }
}
