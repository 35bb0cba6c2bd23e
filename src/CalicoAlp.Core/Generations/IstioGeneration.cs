using System.Collections.Generic;
using System.Linq;
using CalicoAlp.Core.Alp;

namespace CalicoAlp.Core.Generations
{
    /// <summary>
    /// Everything CalicoAlp does differently per Istio release (generations spec §1-§5): the injector layout, the
    /// ext-authz EnvoyFilter form, the mTLS API, the control-plane service and port, and whether Calico documented ALP
    /// for it. One table, so the injector editor, Enable, Add-AlpNamespace and Get-AlpStatus agree.
    /// </summary>
    public sealed class IstioGeneration
    {
        private IstioGeneration(ComponentVersion version, InjectorLayout layout, EnvoyFilterForm filter, string calicoInjectorFile, string calicoFilterFile,
            bool documented, string? refusal, ComponentVersion? nearest)
        {
            Version = version;
            Layout = layout;
            EnvoyFilter = filter;
            CalicoInjectorFile = calicoInjectorFile;
            CalicoFilterFile = calicoFilterFile;
            Documented = documented;
            Refusal = refusal;
            Nearest = nearest;
        }

        /// <summary>The Istio version this generation was chosen for.</summary>
        public ComponentVersion Version { get; }
        public InjectorLayout Layout { get; }
        public EnvoyFilterForm EnvoyFilter { get; }
        /// <summary>Calico's file for the injector ("istio-inject-configmap-1.10.yaml"; for 1.22+ the IstioOperator templates).</summary>
        public string CalicoInjectorFile { get; }
        /// <summary>Calico's authorization-service file ("istio-app-layer-policy-envoy-v3.yaml").</summary>
        public string CalicoFilterFile { get; }
        /// <summary>Calico published files for this Istio minor.</summary>
        public bool Documented { get; }
        /// <summary>Why CalicoAlp refuses this release without -Force (null when it is supported).</summary>
        public string? Refusal { get; }
        /// <summary>With a refusal or an undocumented minor: the documented release whose method is used (with -Force for a refusal).</summary>
        public ComponentVersion? Nearest { get; }

        public bool IsSupported => Refusal == null;

        public MutualTlsApi MutualTls => Version < new ComponentVersion(1, 6, 0) ? MutualTlsApi.MeshPolicy : MutualTlsApi.PeerAuthentication;

        /// <summary>istio-pilot up to 1.4, istiod from 1.5.</summary>
        public string PilotService => Version < new ComponentVersion(1, 5, 0) ? "istio-pilot" : "istiod";

        /// <summary>The port sidecars reach the control plane on: 15011 (istio-pilot, mTLS xDS) or 15012 (istiod xDS + CA).</summary>
        public int PilotPort => Version < new ComponentVersion(1, 5, 0) ? 15011 : 15012;

        /// <summary>The control planes a cluster may run, newest last, as the table names them (istio-pilot :15011 up to 1.4, istiod :15012 from 1.5): what to look for when the Istio version is not known.</summary>
        public static IReadOnlyList<(string Service, int Port)> PilotCandidates { get; } = new[]
        {
            (For(new ComponentVersion(1, 4, 0)).PilotService, For(new ComponentVersion(1, 4, 0)).PilotPort),
            (For(new ComponentVersion(1, 5, 0)).PilotService, For(new ComponentVersion(1, 5, 0)).PilotPort),
        };

        /// <summary>The pod annotation that picks injection templates (Istio 1.9+), e.g. <c>sidecar,dikastes</c>.</summary>
        public const string TemplatesAnnotation = "inject.istio.io/templates";
        /// <summary>Calico's templates of the Istio ≥ 1.22 method (current docs): workloads and gateways.</summary>
        public const string DikastesTemplate = "dikastes";
        public const string DikastesGatewayTemplate = "dikastes-gateway";

        /// <summary>
        /// What a workload's pod template must carry in <see cref="TemplatesAnnotation"/> for Dikastes to be injected
        /// (Calico's current docs: <c>sidecar,dikastes</c>; gateways <c>sidecar,dikastes-gateway</c>), or null when this
        /// generation injects Dikastes through the stock templates (no annotation needed).
        /// </summary>
        public string? WorkloadTemplates(bool gateway) =>
            Layout == InjectorLayout.DikastesTemplates ? (gateway ? $"sidecar,{DikastesGatewayTemplate}" : $"sidecar,{DikastesTemplate}") : null;

        /// <summary>The templates map exists (1.9+): sidecar and gateway are both patched.</summary>
        public bool HasTemplatesMap => Layout is InjectorLayout.TemplatesMap or InjectorLayout.DikastesTemplates;

        /// <summary>The newest Istio minor Calico documented.</summary>
        public static readonly ComponentVersion NewestDocumented = new(1, 28, 0);

        /// <summary>The Istio releases (minors) this table knows, oldest first: 1.0 to <see cref="NewestDocumented"/> (some refused without -Force, some mapped to the nearest documented one).</summary>
        public static IReadOnlyList<ComponentVersion> Known { get; } =
            System.Linq.Enumerable.Range(0, NewestDocumented.Minor + 1).Select(m => new ComponentVersion(1, m, 0)).ToList();

        /// <summary>The Istio release a generation (or the nearest) is built from.</summary>
        public static IstioGeneration For(ComponentVersion istio)
        {
            var m = istio.Minor;
            if (istio.Major != 1 || m < 0)
            {
                return new IstioGeneration(istio, InjectorLayout.DikastesTemplates, EnvoyFilterForm.EnvoyV3, "istio-operator-dikastes.yaml", "istio-app-layer-policy-envoy-v3.yaml",
                    false, $"Istio {istio} is not an Istio 1.x release; Calico documents ALP for Istio 1.0-1.28.", NewestDocumented);
            }
            return m switch
            {
                <= 4 => new IstioGeneration(istio, InjectorLayout.SingleTemplateLegacy, EnvoyFilterForm.Filters, $"istio-inject-configmap-1.{m}.yaml", "istio-app-layer-policy.yaml", true, null, null),
                5 => new IstioGeneration(istio, InjectorLayout.SingleTemplate16, EnvoyFilterForm.V16, "istio-inject-configmap-1.6.yaml", "istio-app-layer-policy-v1.6.yaml", false,
                    "Calico never published ALP files for Istio 1.5 (its v3.17 docs say \"1.5 not supported\"): the EnvoyFilter 'filters' API is gone and the 1.6 templates were not verified on it. Upgrade Istio to 1.6 or later, or use -Force to apply the Istio 1.6 method.",
                    new ComponentVersion(1, 6, 0)),
                6 => new IstioGeneration(istio, InjectorLayout.SingleTemplate16, EnvoyFilterForm.V16, "istio-inject-configmap-1.6.yaml", "istio-app-layer-policy-v1.6.yaml", true, null, null),
                7 => new IstioGeneration(istio, InjectorLayout.SingleTemplate17, EnvoyFilterForm.V17, "istio-inject-configmap-1.7.yaml", "istio-app-layer-policy-v1.7.yaml", true, null, null),
                8 => new IstioGeneration(istio, InjectorLayout.SingleTemplate17, EnvoyFilterForm.V17, "istio-inject-configmap-1.7.yaml", "istio-app-layer-policy-v1.7.yaml", false,
                    "Calico never published ALP files for Istio 1.8 (its docs go from 1.7 to 1.9). Upgrade Istio to 1.9 or later, or use -Force to apply the Istio 1.7 method.",
                    new ComponentVersion(1, 7, 0)),
                9 or 10 or 15 => new IstioGeneration(istio, InjectorLayout.TemplatesMap, EnvoyFilterForm.EnvoyV3, $"istio-inject-configmap-1.{m}.yaml", "istio-app-layer-policy-envoy-v3.yaml", true, null, null),
                < 22 => new IstioGeneration(istio, InjectorLayout.TemplatesMap, EnvoyFilterForm.EnvoyV3, "istio-inject-configmap-1.15.yaml", "istio-app-layer-policy-envoy-v3.yaml", false, null,
                    m < 15 ? new ComponentVersion(1, 10, 0) : new ComponentVersion(1, 15, 0)),
                _ => new IstioGeneration(istio, InjectorLayout.DikastesTemplates, EnvoyFilterForm.EnvoyV3, "istio-operator-dikastes.yaml", "istio-app-layer-policy-envoy-v3.yaml",
                    m <= NewestDocumented.Minor, null, m <= NewestDocumented.Minor ? null : NewestDocumented),
            };
        }

        /// <summary>
        /// What this Istio generation and a Calico release cannot do together (refusals; empty when they work) and what
        /// the admin should know (notes).
        /// </summary>
        public (IReadOnlyList<string> Problems, IReadOnlyList<string> Notes) CheckWith(ComponentVersion calico)
        {
            var problems = new List<string>();
            var notes = new List<string>();
            if (Refusal != null) problems.Add(Refusal);
            if (EnvoyFilter == EnvoyFilterForm.EnvoyV3 && calico < CalicoRelease.EnvoyV3DikastesSince)
            {
                problems.Add($"Istio {Version} needs the Envoy v3 ext-authz API, which Dikastes serves from Calico 3.20 (projectcalico/calico#4516): Calico {calico} is too old. Upgrade Calico, or use -Force.");
            }
            if (Layout == InjectorLayout.SingleTemplateLegacy && calico >= new ComponentVersion(3, 17, 0))
            {
                notes.Add($"Calico {calico}'s docs no longer cover Istio {Version.Major}.{Version.Minor}; the Calico 3.16 method is used with the {calico} Dikastes image.");
            }
            if (Layout == InjectorLayout.DikastesTemplates && calico < new ComponentVersion(3, 29, 0))
            {
                notes.Add($"Calico documents the Istio ≥ 1.22 method (dikastes templates) from its 3.29 docs; Calico {calico} is older.");
            }
            if (!Documented && Refusal == null && Nearest is { } n)
            {
                notes.Add($"Calico did not publish files for Istio {Version.Major}.{Version.Minor}; the layout is the same as Istio {n.Major}.{n.Minor}'s, whose method is used.");
            }
            return (problems, notes);
        }

        public override string ToString() => $"Istio {Version} ({Layout}, EnvoyFilter {EnvoyFilter})";
    }
}
