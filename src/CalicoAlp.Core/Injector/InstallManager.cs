using System;
using System.Text.Json.Nodes;
using CalicoAlp.Core.Json;

namespace CalicoAlp.Core.Injector
{
    /// <summary>What installed (and will re-render) an injector ConfigMap: istioctl/the Istio operator, Helm, or nothing known.</summary>
    public enum InstallManagerKind
    {
        None,
        IstioOperator,
        Helm,
    }

    /// <summary>
    /// Reads the install labels of the injector ConfigMap. An istioctl/operator install (label
    /// <c>install.operator.istio.io/owning-resource</c> naming an IstioOperator) or a Helm release (label
    /// <c>app.kubernetes.io/managed-by: Helm</c> or annotation <c>meta.helm.sh/release-name</c>) renders the ConfigMap
    /// again on the next install or upgrade (the in-cluster operator of Istio ≤ 1.23 at once), dropping a live edit:
    /// for those the templates belong in the install's values (<see cref="DikastesTemplates.Overlay"/>).
    /// </summary>
    public static class InstallManager
    {
        public const string OwningResourceLabel = "install.operator.istio.io/owning-resource";
        public const string ManagedByLabel = "app.kubernetes.io/managed-by";
        public const string HelmReleaseAnnotation = "meta.helm.sh/release-name";

        public static (InstallManagerKind Kind, string? Detail) Of(JsonObject? configMap)
        {
            var owner = JsonFields.GetString(configMap, "metadata", "labels", OwningResourceLabel);
            if (!string.IsNullOrEmpty(owner) && !string.Equals(owner, "unknown", StringComparison.Ordinal))
            {
                return (InstallManagerKind.IstioOperator, $"label {OwningResourceLabel}={owner}");
            }
            var managedBy = JsonFields.GetString(configMap, "metadata", "labels", ManagedByLabel);
            if (string.Equals(managedBy, "Helm", StringComparison.OrdinalIgnoreCase)) return (InstallManagerKind.Helm, $"label {ManagedByLabel}={managedBy}");
            var release = JsonFields.GetString(configMap, "metadata", "annotations", HelmReleaseAnnotation);
            if (!string.IsNullOrEmpty(release)) return (InstallManagerKind.Helm, $"annotation {HelmReleaseAnnotation}={release}");
            return (InstallManagerKind.None, null);
        }
    }
}
