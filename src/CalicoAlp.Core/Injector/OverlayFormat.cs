namespace CalicoAlp.Core.Injector
{
    /// <summary>The GitOps form Set-IstioInjectorPatch -OverlayFormat writes for Istio 1.22+.</summary>
    public enum OverlayFormat
    {
        /// <summary>An IstioOperator (istioctl install -f) with spec.values.sidecarInjectorWebhook.templates.</summary>
        IstioOperator,
        /// <summary>Values for the istiod Helm chart: sidecarInjectorWebhook.templates.</summary>
        HelmValues,
    }
}
