using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Core.Namespaces
{
    /// <summary>
    /// The Istio control-plane revisions installed in istio-system, from the injector ConfigMaps
    /// (<c>istio-sidecar-injector</c> = default, <c>istio-sidecar-injector-&lt;rev&gt;</c>) and the istiod Deployments
    /// (<c>istiod</c>, <c>istiod-&lt;rev&gt;</c>); the <c>istio.io/rev</c> label, when present, names the revision, and a
    /// <c>-&lt;suffix&gt;</c> object without it is not one.
    /// </summary>
    public static class IstioRevisions
    {
        public const string DefaultRevision = "default";
        private const string InjectorPrefix = "istio-sidecar-injector";
        private const string IstiodPrefix = "istiod";

        /// <summary>Sorted revision names (empty when neither ConfigMaps nor istiod Deployments exist or may be read).</summary>
        public static async Task<IReadOnlyList<string>> ListAsync(KubeApi api, CancellationToken ct)
        {
            var revisions = new SortedSet<string>(StringComparer.Ordinal);
            try
            {
                foreach (var cm in await api.ListAsync(ResourceType.ConfigMap, AlpConstants.IstioNamespace, null, null, ct).ConfigureAwait(false))
                {
                    Add(revisions, cm, InjectorPrefix);
                }
                foreach (var d in await api.ListAsync(ResourceType.Deployment, AlpConstants.IstioNamespace, null, null, ct).ConfigureAwait(false))
                {
                    Add(revisions, d, IstiodPrefix);
                }
            }
            catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
            {
                api.Log.Verbose($"Istio revisions not listed: {ex.Message}");
            }
            return revisions.ToList();
        }

        private static void Add(SortedSet<string> revisions, System.Text.Json.Nodes.JsonObject obj, string prefix)
        {
            var name = JsonFields.GetString(obj, "metadata", "name") ?? "";
            string? rev = null;
            if (name == prefix) rev = DefaultRevision;
            else if (name.StartsWith(prefix + "-", StringComparison.Ordinal)) rev = name[(prefix.Length + 1)..];
            if (rev == null) return;
            if (JsonFields.GetString(obj, "metadata", "annotations", Injector.InjectorBackup.BackupOfAnnotation) != null) return; // Set-IstioInjectorPatch's backup
            // Only the control plane's own objects: istio-sidecar-injector-<rev> or istiod-<rev> carrying istio.io/rev say
            // which revision. Others with the prefix are not revisions (e.g. Set-IstioInjectorPatch's backup ConfigMap
            // istio-sidecar-injector-calicoalp-backup, which keeps the original's labels and so its revision).
            var label = JsonFields.GetString(obj, "metadata", "labels", NamespaceInjectionIntent.RevisionLabel);
            if (label != null) rev = label;
            else if (rev != DefaultRevision) return;
            revisions.Add(rev);
        }

        /// <summary>
        /// The revision Add-AlpNamespace uses: the one asked for (it must exist), or, without -Revision, null (the default
        /// injection label) when at most one revision exists. Several revisions and no choice: an error naming them.
        /// </summary>
        public static string? Choose(IReadOnlyList<string> revisions, string? requested)
        {
            if (requested != null)
            {
                if (revisions.Count > 0 && !revisions.Contains(requested, StringComparer.Ordinal))
                {
                    throw new AlpException("IstioRevisionNotFound", AlpErrorKind.InvalidArgument,
                        $"Istio revision '{requested}' is not installed in {AlpConstants.IstioNamespace}; installed: {string.Join(", ", revisions)}.", requested)
                    { RecommendedAction = "Pass -Revision with one of the installed revisions." };
                }
                return requested;
            }
            if (revisions.Count > 1)
            {
                throw new AlpException("IstioRevisionAmbiguous", AlpErrorKind.InvalidArgument,
                    $"Several Istio revisions are installed in {AlpConstants.IstioNamespace} ({string.Join(", ", revisions)}): CalicoAlp does not guess which one injects the namespace.",
                    string.Join(",", revisions))
                { RecommendedAction = "Pass -Revision <rev> (the namespace is labelled istio.io/rev=<rev>), e.g. -Revision " + revisions[^1] + "." };
            }
            return null;
        }
    }
}
