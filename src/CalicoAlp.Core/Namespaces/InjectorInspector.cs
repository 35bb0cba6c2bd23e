using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Core.Namespaces
{
    /// <summary>Whether the live sidecar injector already injects Dikastes (Set-IstioInjectorPatch done).</summary>
    public static class InjectorInspector
    {
        /// <returns>true/false, or null when the ConfigMap cannot be read.</returns>
        /// <param name="found">The revisions found in istio-system: their listed ConfigMap is used (no GET) when the ConfigMaps were listed.</param>
        public static async Task<bool?> InjectsDikastesAsync(KubeApi api, CancellationToken ct, Alp.IstioRevisions? found = null)
        {
            try
            {
                var cm = found?.InjectorConfigMaps != null ? found.InjectorConfigMap(null)
                    : await api.GetAsync(ResourceType.ConfigMap, Alp.AlpConstants.IstioNamespace, "istio-sidecar-injector", ct).ConfigureAwait(false);
                var config = JsonFields.GetString(cm, "data", "config");
                if (config == null) return null;
                return Injector.InjectorTemplateEditor.TryInspect(config).DikastesContainers > 0;
            }
            catch (Diagnostics.AlpException ex) when (ex.Kind == Diagnostics.AlpErrorKind.PermissionDenied)
            {
                return null;
            }
        }
    }
}
