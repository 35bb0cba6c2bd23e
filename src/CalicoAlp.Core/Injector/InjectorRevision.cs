using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Core.Injector
{
    /// <summary>
    /// Which injector ConfigMap a live edit targets: <c>istio-sidecar-injector</c> (the default revision) or
    /// <c>istio-sidecar-injector-&lt;rev&gt;</c> for a revisioned control plane. With several and no revision given, it
    /// names them instead of guessing.
    /// </summary>
    public static class InjectorRevision
    {
        public const string ErrorIdAmbiguous = "IstioRevisionAmbiguous";
        public const string ErrorIdNotFound = "IstioRevisionNotFound";

        /// <summary>The ConfigMap name of a revision ("default" or empty: the plain name).</summary>
        public static string ConfigMapName(string? revision) =>
            string.IsNullOrWhiteSpace(revision) || revision == "default" ? InjectorConfigMapIntent.DefaultName : $"{InjectorConfigMapIntent.DefaultName}-{revision}";

        /// <summary>The revision of an injector ConfigMap name (null when it is not one).</summary>
        public static string? RevisionOf(string name)
        {
            if (name == InjectorConfigMapIntent.DefaultName) return "default";
            if (!name.StartsWith(InjectorConfigMapIntent.DefaultName + "-", StringComparison.Ordinal)) return null;
            if (name.EndsWith(InjectorBackup.NameFor(""), StringComparison.Ordinal)) return null;
            return name[(InjectorConfigMapIntent.DefaultName.Length + 1)..];
        }

        /// <summary>The injector ConfigMaps of the namespace: revision and name.</summary>
        public static async Task<IReadOnlyList<(string Revision, string Name)>> ListAsync(KubeApi api, string ns, CancellationToken ct)
        {
            var maps = await Alp.IstioRevisions.ListInjectorConfigMapsAsync(api, ns, ct).ConfigureAwait(false);
            return maps.Select(m => JsonFields.GetString(m, "metadata", "name") ?? "")
                .Select(n => (RevisionOf(n)!, n))
                .ToList();
        }

        /// <summary>
        /// The ConfigMap to edit. A given revision must exist; without one, the only injector ConfigMap is taken, and
        /// several are refused with their revisions listed. When ConfigMaps cannot be listed (RBAC), the default name is used.
        /// </summary>
        public static async Task<string> ResolveAsync(KubeApi api, string ns, string? revision, CancellationToken ct)
        {
            IReadOnlyList<(string Revision, string Name)> found;
            try
            {
                found = await ListAsync(api, ns, ct).ConfigureAwait(false);
            }
            catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
            {
                api.Log.Verbose($"Cannot list ConfigMaps in '{ns}' (403): using {ConfigMapName(revision)}.");
                return ConfigMapName(revision);
            }
            string List() => found.Count == 0 ? "none" : string.Join(", ", found.Select(f => $"{f.Revision} ({f.Name})"));
            if (!string.IsNullOrWhiteSpace(revision))
            {
                var name = ConfigMapName(revision);
                if (found.Any(f => f.Name == name)) return name;
                throw new AlpException(ErrorIdNotFound, AlpErrorKind.ObjectNotFound,
                    $"Istio revision '{revision}' has no injector ConfigMap {ns}/{name} on context '{api.ContextName}'. Revisions found: {List()}.", revision)
                { RecommendedAction = "Pass one of the revisions found with -Revision." };
            }
            if (found.Count == 1) return found[0].Name;
            if (found.Count == 0) return InjectorConfigMapIntent.DefaultName; // the intent reports it missing
            throw new AlpException(ErrorIdAmbiguous, AlpErrorKind.InvalidArgument,
                $"Context '{api.ContextName}' has {found.Count} Istio revisions with an injector ConfigMap in '{ns}': {List()}. CalicoAlp does not guess which one you mean.", ns)
            { RecommendedAction = "Pass -Revision <rev> (run once per revision to patch several)." };
        }
    }
}
