using System;
using System.Globalization;
using System.Text.RegularExpressions;

namespace CalicoAlp.Core.Alp
{
    /// <summary>A major.minor.patch version as found in image tags ("v3.12.3", "1.4.2", "v3.23.0-0.dev").</summary>
    public readonly record struct ComponentVersion(int Major, int Minor, int Patch) : IComparable<ComponentVersion>
    {
        private static readonly Regex Pattern = new(@"^v?(\d+)\.(\d+)(?:\.(\d+))?", RegexOptions.CultureInvariant);

        public static bool TryParse(string? text, out ComponentVersion version)
        {
            version = default;
            if (string.IsNullOrWhiteSpace(text)) return false;
            var m = Pattern.Match(text.Trim());
            if (!m.Success) return false;
            version = new ComponentVersion(
                int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
                m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 0);
            return true;
        }

        public static ComponentVersion Parse(string text) =>
            TryParse(text, out var v) ? v : throw new FormatException($"'{text}' is not a version (expected major.minor[.patch], e.g. 3.12.3).");

        /// <summary>The tag part of an image reference ("docker.io/calico/node:v3.12.3@sha256:..." -> "v3.12.3").</summary>
        public static string? TagOf(string? image)
        {
            if (string.IsNullOrEmpty(image)) return null;
            var at = image.IndexOf('@');
            if (at >= 0) image = image[..at];
            var slash = image.LastIndexOf('/');
            var colon = image.LastIndexOf(':');
            return colon > slash ? image[(colon + 1)..] : null;
        }

        public int CompareTo(ComponentVersion other) =>
            Major != other.Major ? Major.CompareTo(other.Major) : Minor != other.Minor ? Minor.CompareTo(other.Minor) : Patch.CompareTo(other.Patch);

        public static bool operator <(ComponentVersion a, ComponentVersion b) => a.CompareTo(b) < 0;
        public static bool operator >(ComponentVersion a, ComponentVersion b) => a.CompareTo(b) > 0;
        public static bool operator <=(ComponentVersion a, ComponentVersion b) => a.CompareTo(b) <= 0;
        public static bool operator >=(ComponentVersion a, ComponentVersion b) => a.CompareTo(b) >= 0;

        public override string ToString() => $"{Major}.{Minor}.{Patch}";
    }
}
