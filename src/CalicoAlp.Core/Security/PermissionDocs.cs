using System.Linq;
using System.Text;

namespace CalicoAlp.Core.Security
{
    /// <summary>The "### Permissions" section of a cmdlet's docs page, written from <see cref="CmdletPermissions"/> (a unit test keeps the pages equal to it).</summary>
    public static class PermissionDocs
    {
        public const string Heading = "### Permissions";

        /// <summary>The section (heading included, ending with a newline); null when the command has no row.</summary>
        public static string? Section(string command)
        {
            var rows = CmdletPermissions.For(command);
            if (rows.Count == 0) return null;
            var sb = new StringBuilder();
            sb.Append(Heading).Append("\n\n");
            sb.Append($"The Kubernetes RBAC rules this cmdlet needs, as Get-AlpPermission -Command {rows[0].Command} lists them (and -AsYaml writes them as a ClusterRole or Roles). ");
            sb.Append("Without a required rule the cmdlet stops with a PermissionDenied error that names the verb and resource, before it changes anything; without a detection rule it notes the 403 in its verbose output and falls back. ");
            sb.Append("Discovery (/apis) and /version need no rule.\n");
            foreach (var row in rows)
            {
                sb.Append('\n').Append($"{row.Mode} ({row.ModeDescription}):").Append('\n').Append('\n');
                if (row.Rules.Count == 0)
                {
                    sb.Append("- none: no cluster access.\n");
                    continue;
                }
                foreach (var r in row.Rules)
                {
                    var names = r.ResourceNames.Count > 0 ? $" named {string.Join(", ", r.ResourceNames)}" : "";
                    var extra = string.Join("", new[]
                    {
                        r.Need == PermissionNeed.Detection ? " Detection." : "",
                        r.Istio != null ? $" Istio {r.Istio} only." : "",
                        r.When != null ? $" Only when {r.When}." : "",
                    });
                    sb.Append($"- {string.Join(", ", r.Verbs)} {r.FullResource}{names} ({r.Scope}): {r.Reason}.{extra}\n");
                }
            }
            return sb.ToString();
        }

        /// <summary>The section as it stands in a docs page (from its heading to the next heading), or null.</summary>
        public static string? Extract(string markdown)
        {
            var text = markdown.Replace("\r\n", "\n");
            var start = text.IndexOf(Heading + "\n", System.StringComparison.Ordinal);
            if (start < 0) return null;
            var next = text.IndexOf("\n#", start + Heading.Length, System.StringComparison.Ordinal);
            var section = next < 0 ? text[start..] : text[start..(next + 1)];
            return section.TrimEnd('\n') + "\n";
        }
    }
}
