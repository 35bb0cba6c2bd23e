using System;
using System.Collections.Generic;
using System.Linq;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Diagnostics;

namespace CalicoAlp.Core.Injector
{
    /// <summary>How the dikastes container reaches Felix's policy-sync socket.</summary>
    public enum FelixSyncVolumeKind
    {
        /// <summary>flexVolume driver nodeagent/uds (Calico before 3.23).</summary>
        FlexVolume,
        /// <summary>CSI driver csi.tigera.io (Calico 3.23 and later).</summary>
        Csi,
    }

    /// <summary>The securityContext forms of Calico's dikastes container.</summary>
    public enum DikastesSecurityContext
    {
        /// <summary>runAsNonRoot + allowPrivilegeEscalation: false (Calico before 3.17).</summary>
        NonRootNoEscalation,
        /// <summary>allowPrivilegeEscalation: false only (Calico 3.17+ files for Istio 1.6-1.10).</summary>
        NoEscalation,
        /// <summary>uid/gid 999, runAsNonRoot (the 1.15 file's and the current docs' sidecar/dikastes template).</summary>
        Uid999,
        /// <summary>uid/gid 0, runAsNonRoot: false (the 1.15 file's gateway and the dikastes-gateway template).</summary>
        Root,
    }

    /// <summary>
    /// What the three injector additions look like for one Calico version: the dikastes image, the felix-sync volume
    /// and the container's securityContext, as the Calico docs of that version rendered them.
    /// </summary>
    public sealed class DikastesSidecarOptions
    {
        /// <summary>The first Calico version whose includes drop runAsNonRoot from dikastes' securityContext.</summary>
        public static readonly ComponentVersion RunAsNonRootDroppedIn = new(3, 17, 0);

        /// <summary>The first Calico version whose felix-sync volume is the CSI driver.</summary>
        public static readonly ComponentVersion CsiVolumeSince = new(3, 23, 0);

        public DikastesSidecarOptions(string image, ComponentVersion calicoVersion)
        {
            if (string.IsNullOrWhiteSpace(image) || image.Contains('\n') || image.Contains('\r'))
            {
                throw new AlpException("DikastesImageInvalid", AlpErrorKind.InvalidArgument, $"'{image}' is not an image reference.", image);
            }
            Image = image.Trim();
            CalicoVersion = calicoVersion;
            FelixSync = calicoVersion >= CsiVolumeSince ? FelixSyncVolumeKind.Csi : FelixSyncVolumeKind.FlexVolume;
            RunAsNonRoot = calicoVersion < RunAsNonRootDroppedIn;
        }

        public string Image { get; }
        public ComponentVersion CalicoVersion { get; }
        public FelixSyncVolumeKind FelixSync { get; }
        public bool RunAsNonRoot { get; }

        /// <summary>The image for a Calico release (<see cref="Generations.CalicoRelease.DefaultImage"/>; 3.33+ needs one given).</summary>
        public static string DefaultImage(ComponentVersion calicoVersion) => Generations.CalicoRelease.DefaultImage(calicoVersion);

        /// <summary>
        /// Options from what the user gave: a Calico version, an image, or both. With only an image, the Calico version is
        /// taken from its tag (it must then be a version).
        /// </summary>
        public static DikastesSidecarOptions From(string? calicoVersion, string? image)
        {
            ComponentVersion version;
            if (!string.IsNullOrWhiteSpace(calicoVersion))
            {
                if (!ComponentVersion.TryParse(calicoVersion, out version))
                {
                    throw new AlpException("CalicoVersionInvalid", AlpErrorKind.InvalidArgument,
                        $"'{calicoVersion}' is not a Calico version (expected e.g. 3.12.3).", calicoVersion);
                }
            }
            else if (!string.IsNullOrWhiteSpace(image) && ComponentVersion.TryParse(ComponentVersion.TagOf(image), out version))
            {
                // the tag tells the version
            }
            else
            {
                throw new AlpException("CalicoVersionUnknown", AlpErrorKind.InvalidArgument,
                    string.IsNullOrWhiteSpace(image)
                        ? "The Calico version is needed to choose the dikastes image and the felix-sync volume."
                        : $"The tag of '{image}' is not a version, so the Calico version (felix-sync volume, securityContext) is unknown.",
                    image)
                { RecommendedAction = "Pass -CalicoVersion (e.g. 3.12.3)." };
            }
            return new DikastesSidecarOptions(string.IsNullOrWhiteSpace(image) ? DefaultImage(version) : image!, version);
        }

        /// <summary>(a) the istio-proxy volume mount, at template indent <paramref name="b"/> (list item at b+2).</summary>
        internal IReadOnlyList<string> ProxyMountLines(int b) => new[]
        {
            Pad(b + 2) + "- mountPath: /var/run/dikastes",
            Pad(b + 4) + "name: dikastes-sock",
        };

        /// <summary>Stands for the image in <see cref="KnownContainerForms"/>.</summary>
        internal const string ImagePlaceholder = "<image>";

        /// <summary>
        /// The securityContext fields of every Calico file: runAsNonRoot before 3.17; allowPrivilegeEscalation only from
        /// 3.17 (1.6-1.10 files); uid/gid 999 (sidecar) and 0 (gateway) in the 1.15 file.
        /// </summary>
        private static readonly string[][] KnownSecurityContexts =
        {
            new[] { "runAsNonRoot: true", "allowPrivilegeEscalation: false" },
            new[] { "allowPrivilegeEscalation: false" },
            new[] { "allowPrivilegeEscalation: false", "runAsGroup: 999", "runAsNonRoot: true", "runAsUser: 999" },
            new[] { "allowPrivilegeEscalation: false", "runAsGroup: 0", "runAsNonRoot: false", "runAsUser: 0" },
        };

        /// <summary>The form this Calico version's files use for Istio 1.6-1.10 (and 1.0-1.4).</summary>
        public DikastesSecurityContext DefaultSecurityContext => RunAsNonRoot ? DikastesSecurityContext.NonRootNoEscalation : DikastesSecurityContext.NoEscalation;

        internal static IReadOnlyList<string> SecurityContextLines(DikastesSecurityContext form) => KnownSecurityContexts[(int)form];

        /// <summary>(b) the dikastes container (a containers item at indent b), without the blank line that follows it.</summary>
        internal IReadOnlyList<string> ContainerLines(int b) => ContainerLines(b, Image, SecurityContextLines(DefaultSecurityContext));

        /// <summary>(b) the dikastes container with a given securityContext form.</summary>
        internal IReadOnlyList<string> ContainerLines(int b, DikastesSecurityContext form) => ContainerLines(b, Image, SecurityContextLines(form));

        /// <summary>Every form of the dikastes container Calico has shipped, at indent b, with <see cref="ImagePlaceholder"/> as image.</summary>
        internal static IReadOnlyList<IReadOnlyList<string>> KnownContainerForms(int b) =>
            KnownSecurityContexts.Select(sc => ContainerLines(b, ImagePlaceholder, sc)).ToList();

        private static IReadOnlyList<string> ContainerLines(int b, string image, IReadOnlyList<string> securityContext)
        {
            var lines = new List<string>
            {
                Pad(b) + "- name: dikastes",
                Pad(b + 2) + "image: " + image,
                Pad(b + 2) + "args: [\"server\", \"-l\", \"/var/run/dikastes/dikastes.sock\", \"-d\", \"/var/run/felix/nodeagent/socket\"]",
                Pad(b + 2) + "securityContext:",
            };
            lines.AddRange(securityContext.Select(l => Pad(b + 4) + l));
            foreach (var probe in new[] { "liveness", "readiness" })
            {
                lines.Add(Pad(b + 2) + probe + "Probe:");
                lines.Add(Pad(b + 4) + "exec:");
                lines.Add(Pad(b + 6) + "command:");
                lines.Add(Pad(b + 6) + "- /healthz");
                lines.Add(Pad(b + 6) + "- " + probe);
                lines.Add(Pad(b + 4) + "initialDelaySeconds: 3");
                lines.Add(Pad(b + 4) + "periodSeconds: 3");
            }
            lines.Add(Pad(b + 2) + "volumeMounts:");
            lines.Add(Pad(b + 2) + "- mountPath: /var/run/dikastes");
            lines.Add(Pad(b + 4) + "name: dikastes-sock");
            lines.Add(Pad(b + 2) + "- mountPath: /var/run/felix");
            lines.Add(Pad(b + 4) + "name: felix-sync");
            return lines;
        }

        /// <summary>(c) the dikastes-sock volume, at indent b.</summary>
        internal IReadOnlyList<string> SocketVolumeLines(int b) => new[]
        {
            Pad(b) + "- name: dikastes-sock",
            Pad(b + 2) + "emptyDir:",
            Pad(b + 4) + "medium: Memory",
        };

        /// <summary>(c) the felix-sync volume, at indent b.</summary>
        internal IReadOnlyList<string> FelixSyncVolumeLines(int b) => FelixSync == FelixSyncVolumeKind.Csi
            ? new[] { Pad(b) + "- name: felix-sync", Pad(b + 2) + "csi:", Pad(b + 4) + "driver: \"csi.tigera.io\"" }
            : new[] { Pad(b) + "- name: felix-sync", Pad(b + 2) + "flexVolume:", Pad(b + 4) + "driver: nodeagent/uds" };

        /// <summary>
        /// Calico's 3.23+ istio-volumes include ends with a newline, so its renders have a blank line after the volumes
        /// wherever more template follows; the older include has none.
        /// </summary>
        internal bool BlankLineAfterVolumes => FelixSync == FelixSyncVolumeKind.Csi;

        private static string Pad(int n) => new(' ', n);

        public override string ToString() => $"{Image} (Calico {CalicoVersion}, felix-sync {FelixSync})";
    }
}
