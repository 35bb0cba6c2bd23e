using CalicoAlp.Core.Injector;

namespace CalicoAlp.Core.Results
{
    /// <summary>The typed result of Set-/Remove-IstioInjectorPatch (one per ConfigMap or file).</summary>
    public sealed class InjectorPatchResult
    {
        public InjectorPatchResult(string context, string target, InjectorEditAction action, IstioTemplateVersion istio)
        {
            Context = context;
            Target = target;
            Action = action;
            IstioVersion = istio.Version;
            IstioVersionSource = istio.Source;
        }

        /// <summary>The kubeconfig context, or "offline" for -Path.</summary>
        public string Context { get; }
        /// <summary>The kubeconfig used (live mode); binds to the next cmdlet's -Kubeconfig by property name.</summary>
        public string? Kubeconfig { get; init; }
        /// <summary>"istio-system/istio-sidecar-injector", or the file that was read.</summary>
        public string Target { get; }
        public InjectorEditAction Action { get; }
        public string? IstioVersion { get; }
        public string IstioVersionSource { get; }
        /// <summary>The Calico version the additions were made for (null for Remove).</summary>
        public string? CalicoVersion { get; init; }
        /// <summary>The dikastes image now in the template (null after Remove).</summary>
        public string? Image { get; init; }
        /// <summary>The dikastes image the template had before, if any.</summary>
        public string? PreviousImage { get; init; }
        /// <summary>The ConfigMap holding the original config (live mode).</summary>
        public string? BackupName { get; init; }
        /// <summary>The file written (offline mode).</summary>
        public string? OutFile { get; init; }
        /// <summary>Unified diff of data.config (only with -ShowDiff).</summary>
        public string? Diff { get; init; }
        /// <summary>True when the change was only described and (live mode) validated by a server-side dry run: -WhatIf; nothing was written.</summary>
        public bool WhatIf { get; init; }
        public string? Message { get; init; }
        /// <summary>The injector ConfigMap's resourceVersion after the write (live mode).</summary>
        public string? ResourceVersion { get; init; }
        /// <summary>Customised dikastes containers that -Force replaced (the config as it was is kept, see <see cref="BackupName"/> / <see cref="BackupKey"/>).</summary>
        public System.Collections.Generic.IReadOnlyList<DikastesCustomization> ReplacedCustomizations { get; init; } = System.Array.Empty<DikastesCustomization>();
        /// <summary>The key of the backup ConfigMap (live) that keeps the config -Force changed; null when the backup's data.config already holds it.</summary>
        public string? BackupKey { get; init; }
        /// <summary>Running pods with istio-proxy but no dikastes (namespace/name), listed after a live patch.</summary>
        public System.Collections.Generic.IReadOnlyList<string>? PodsWithoutDikastes { get; init; }

        public override string ToString() => $"{Action} {Target} (Istio {IstioVersion ?? "?"}, {Image ?? "no dikastes"})";
    }
}
