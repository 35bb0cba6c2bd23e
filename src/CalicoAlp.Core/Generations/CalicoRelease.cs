using System.Linq;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Injector;

namespace CalicoAlp.Core.Generations
{
    /// <summary>What CalicoAlp takes from the Calico release (generations spec §2, §6): the Dikastes image and the felix-sync volume.</summary>
    public static class CalicoRelease
    {
        /// <summary>ALP's plumbing (policy-sync flexvolume) is in Calico's standard manifests from 3.8 on.</summary>
        public static readonly ComponentVersion Minimum = new(3, 8, 0);
        /// <summary>Dikastes serves the Envoy v3 ext-authz API (app-policy#197, Calico 3.20).</summary>
        public static readonly ComponentVersion EnvoyV3DikastesSince = new(3, 20, 0);
        /// <summary>felix-sync is the CSI driver csi.tigera.io from 3.23 (flexVolume nodeagent/uds before).</summary>
        public static readonly ComponentVersion CsiSince = new(3, 23, 0);
        /// <summary>Calico moved its images to quay.io in 3.31 (PR #11166).</summary>
        public static readonly ComponentVersion QuayIoSince = new(3, 31, 0);
        /// <summary>No standalone Dikastes image is built from 3.33 (PR #12225).</summary>
        public static readonly ComponentVersion NoDikastesImageSince = new(3, 33, 0);
        /// <summary>The newest Calico release CalicoAlp knows with a Dikastes image.</summary>
        public static readonly ComponentVersion Newest = new(3, 32, 0);

        /// <summary>The Calico releases (minors) this table knows, oldest first: <see cref="Minimum"/> to <see cref="Newest"/>.</summary>
        public static System.Collections.Generic.IReadOnlyList<ComponentVersion> Known { get; } =
            System.Linq.Enumerable.Range(Minimum.Minor, Newest.Minor - Minimum.Minor + 1).Select(m => new ComponentVersion(3, m, 0)).ToList();

        public const string DikastesImageRequiredErrorId = "DikastesImageRequired";

        public static FelixSyncVolumeKind FelixSync(ComponentVersion calico) => calico >= CsiSince ? FelixSyncVolumeKind.Csi : FelixSyncVolumeKind.FlexVolume;

        /// <summary>
        /// The Dikastes image for a Calico release: <c>calico/dikastes:v3.NN.P</c> (Docker Hub) up to 3.30,
        /// <c>quay.io/calico/dikastes:v3.NN.P</c> for 3.31 and 3.32. Calico 3.33+ ships no Dikastes image: the caller
        /// must name one (-DikastesImage), and this says so. Calico's own 3.24.0-3.25.1 files said <c>calico/dikastes:master</c>
        /// (unstamped static files); the pinned release tag is used instead.
        /// </summary>
        public static string DefaultImage(ComponentVersion calico)
        {
            if (calico >= NoDikastesImageSince)
            {
                throw new AlpException(DikastesImageRequiredErrorId, AlpErrorKind.InvalidArgument,
                    $"Calico {calico} ships no standalone Dikastes image (projectcalico/calico#12225: Dikastes became 'calico component dikastes' in quay.io/calico/calico), so CalicoAlp cannot choose one.",
                    calico.ToString())
                { RecommendedAction = "Pass -DikastesImage with the image you run Dikastes from (e.g. quay.io/calico/dikastes:v3.32.1)." };
            }
            return calico >= QuayIoSince ? $"quay.io/calico/dikastes:v{calico}" : $"calico/dikastes:v{calico}";
        }
    }
}
