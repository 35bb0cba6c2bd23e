using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Injector;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Core.Alp
{
    /// <summary>
    /// The one finder of the Istio revisions installed in a namespace (istio-system): its control planes
    /// (<see cref="IstioControlPlane.FindAsync"/>: one LIST of Deployments) and, when asked for, its injector ConfigMaps
    /// (one LIST of ConfigMaps; <c>istio-sidecar-injector</c> = default, <c>istio-sidecar-injector-&lt;rev&gt;</c>, named by
    /// <see cref="InjectorRevision.RevisionOf"/>). A workflow finds them once and takes the control planes (versions,
    /// env), the injector ConfigMaps and the revision names from the same answer.
    /// </summary>
    public sealed class IstioRevisions
    {
        public const string DefaultRevision = IstioControlPlane.DefaultRevision;

        private IstioRevisions(IReadOnlyList<IstioControlPlane> controlPlanes, IReadOnlyList<JsonObject>? injectorConfigMaps)
        {
            ControlPlanes = controlPlanes;
            InjectorConfigMaps = injectorConfigMaps;
            Names = NamesOf(controlPlanes, injectorConfigMaps ?? new List<JsonObject>());
        }

        /// <summary>The control planes (istio-pilot, istiod, istiod-&lt;rev&gt;), as <see cref="IstioControlPlane.FindAsync"/> sorts them.</summary>
        public IReadOnlyList<IstioControlPlane> ControlPlanes { get; }

        /// <summary>The injector ConfigMaps (with their revision by name), sorted by name; null when they were not listed (not asked for, or 403).</summary>
        public IReadOnlyList<JsonObject>? InjectorConfigMaps { get; }

        /// <summary>
        /// Sorted revision names: <c>default</c> for <c>istiod</c> / <c>istio-sidecar-injector</c>, and the
        /// <c>istio.io/rev</c> label of <c>istiod-&lt;rev&gt;</c> / <c>istio-sidecar-injector-&lt;rev&gt;</c>. A suffixed
        /// object without the label is not a revision (e.g. Set-IstioInjectorPatch's backup
        /// istio-sidecar-injector-calicoalp-backup, which keeps the original's labels, or any copy), nor is an object
        /// carrying the backup annotation.
        /// </summary>
        public IReadOnlyList<string> Names { get; }

        /// <summary>The injector ConfigMap of a revision (null or "default": istio-sidecar-injector), when listed and present.</summary>
        public JsonObject? InjectorConfigMap(string? revision)
        {
            var name = InjectorRevision.ConfigMapName(revision);
            return InjectorConfigMaps?.FirstOrDefault(c => JsonFields.GetString(c, "metadata", "name") == name);
        }

        /// <summary>
        /// Finds the control planes (one Deployment LIST; a 403 falls back to reading istiod and istio-pilot by name)
        /// and, with <paramref name="injectors"/>, the injector ConfigMaps (one ConfigMap LIST; a 403 leaves them unknown, with a note).
        /// </summary>
        public static async Task<IstioRevisions> FindAsync(KubeApi api, string ns, bool injectors, List<string> notes, CancellationToken ct)
        {
            var planes = await IstioControlPlane.FindAsync(api, ns, notes, ct).ConfigureAwait(false);
            List<JsonObject>? maps = null;
            if (injectors)
            {
                try
                {
                    maps = await ListInjectorConfigMapsAsync(api, ns, ct).ConfigureAwait(false);
                }
                catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
                {
                    notes.Add($"Istio injector ConfigMaps not listed: {ex.Message}");
                }
            }
            return new IstioRevisions(planes, maps);
        }

        /// <summary>The injector ConfigMaps of the namespace (those <see cref="InjectorRevision.RevisionOf"/> names), sorted by name. Throws on a 403.</summary>
        public static async Task<List<JsonObject>> ListInjectorConfigMapsAsync(KubeApi api, string ns, CancellationToken ct) =>
            (await api.ListAsync(ResourceType.ConfigMap, ns, null, null, ct).ConfigureAwait(false))
                .Where(m => InjectorRevision.RevisionOf(JsonFields.GetString(m, "metadata", "name") ?? "") != null)
                .OrderBy(m => JsonFields.GetString(m, "metadata", "name"), StringComparer.Ordinal)
                .ToList();

        private static IReadOnlyList<string> NamesOf(IReadOnlyList<IstioControlPlane> planes, IReadOnlyList<JsonObject> maps)
        {
            var revisions = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var cm in maps)
            {
                Add(revisions, cm, InjectorConfigMapIntent.DefaultName);
            }
            foreach (var plane in planes)
            {
                Add(revisions, plane.Object, "istiod");
            }
            return revisions.ToList();
        }

        private static void Add(SortedSet<string> revisions, JsonObject obj, string prefix)
        {
            var name = JsonFields.GetString(obj, "metadata", "name") ?? "";
            string? rev = null;
            if (name == prefix) rev = DefaultRevision;
            else if (name.StartsWith(prefix + "-", StringComparison.Ordinal)) rev = name[(prefix.Length + 1)..];
            if (rev == null) return;
            if (JsonFields.GetString(obj, "metadata", "annotations", InjectorBackup.BackupOfAnnotation) != null) return; // Set-IstioInjectorPatch's backup
            var label = JsonFields.GetString(obj, "metadata", "labels", IstioControlPlane.RevisionLabel);
            if (label != null) rev = label;
            else if (rev != DefaultRevision) return;
            revisions.Add(rev);
        }

        /// <summary>
        /// The revision Add-AlpNamespace uses: the one asked for (it must exist), or, without -Revision, null (the default
        /// injection label) when at most one revision exists. Several revisions and no choice: an error naming them.
        /// </summary>
        public string? Choose(string? requested)
        {
            var revisions = Names;
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
