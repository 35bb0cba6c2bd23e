using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Core.Alp
{
    /// <summary>
    /// One Istio control plane in istio-system: the <c>istio-pilot</c> Deployment (Istio up to 1.4), <c>istiod</c>
    /// or a revisioned <c>istiod-&lt;rev&gt;</c> (1.5+, label <c>istio.io/rev</c>), with the version of its
    /// <c>discovery</c> container's image.
    /// </summary>
    public sealed record IstioControlPlane(string Deployment, string Revision, ComponentVersion? Version, string? Image, JsonObject Object)
    {
        public const string RevisionLabel = "istio.io/rev";
        public const string DefaultRevision = "default";

        public override string ToString() => $"{Deployment} (revision '{Revision}', {(Version is { } v ? "Istio " + v : "version unknown")})";

        /// <summary>The control planes found in the namespace, sorted by revision. A 403 on the list falls back to reading istiod and istio-pilot by name.</summary>
        public static async Task<IReadOnlyList<IstioControlPlane>> FindAsync(KubeApi api, string ns, List<string> notes, CancellationToken ct)
        {
            List<JsonObject> deployments;
            try
            {
                deployments = await api.ListAsync(ResourceType.Deployment, ns, null, null, ct).ConfigureAwait(false);
            }
            catch (AlpException ex) when (ex.Kind == AlpErrorKind.PermissionDenied)
            {
                notes.Add($"Cannot list Deployments in {ns} (403); looking for istiod and istio-pilot by name.");
                deployments = new List<JsonObject>();
                foreach (var name in new[] { "istiod", "istio-pilot" })
                {
                    try
                    {
                        if (await api.GetAsync(ResourceType.Deployment, ns, name, ct).ConfigureAwait(false) is { } d) deployments.Add(d);
                    }
                    catch (AlpException inner) when (inner.Kind == AlpErrorKind.PermissionDenied)
                    {
                        notes.Add($"Cannot read Deployment {ns}/{name} (403).");
                    }
                }
            }
            var found = new List<IstioControlPlane>();
            foreach (var d in deployments)
            {
                var name = JsonFields.GetString(d, "metadata", "name") ?? "";
                var rev = JsonFields.GetString(d, "metadata", "labels", RevisionLabel);
                var app = JsonFields.GetString(d, "metadata", "labels", "app");
                bool isPilot = name == "istio-pilot";
                bool isIstiod = name == "istiod" || name.StartsWith("istiod-", StringComparison.Ordinal) || (app == "istiod" && rev != null);
                if (!isPilot && !isIstiod) continue;
                var revision = rev ?? (name.StartsWith("istiod-", StringComparison.Ordinal) ? name["istiod-".Length..] : DefaultRevision);
                var image = ContainerImage(d, "discovery");
                ComponentVersion? version = ComponentVersion.TryParse(ComponentVersion.TagOf(image), out var v) ? v : null;
                found.Add(new IstioControlPlane(name, revision, version, image, d));
            }
            return found.OrderBy(c => c.Revision == DefaultRevision ? 0 : 1).ThenBy(c => c.Revision, StringComparer.Ordinal).ThenBy(c => c.Deployment, StringComparer.Ordinal).ToList();
        }

        /// <summary>The value of an environment variable of the discovery container (null when unset or not literal).</summary>
        public string? Env(string variable)
        {
            if (Object["spec"]?["template"]?["spec"]?["containers"] is not JsonArray containers) return null;
            foreach (var c in containers.OfType<JsonObject>())
            {
                if (JsonFields.GetString(c, "name") != "discovery" || c["env"] is not JsonArray env) continue;
                foreach (var e in env.OfType<JsonObject>())
                {
                    if (JsonFields.GetString(e, "name") == variable) return JsonFields.GetString(e, "value");
                }
            }
            return null;
        }

        internal static string? ContainerImage(JsonObject? workload, string preferredName)
        {
            if (workload?["spec"]?["template"]?["spec"]?["containers"] is not JsonArray containers) return null;
            var list = containers.OfType<JsonObject>().ToList();
            var match = list.FirstOrDefault(c => JsonFields.GetString(c, "name") == preferredName) ?? list.FirstOrDefault();
            return JsonFields.GetString(match, "image");
        }
    }
}
