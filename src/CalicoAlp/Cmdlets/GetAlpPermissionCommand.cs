using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using CalicoAlp.Completers;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Results;
using CalicoAlp.Core.Security;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// Lists the Kubernetes RBAC rules each cluster cmdlet needs (per mode), or writes them as a ClusterRole or Roles
    /// (-AsYaml). Reads only the core's table; no cluster access.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "AlpPermission", DefaultParameterSetName = ListSet)]
    [OutputType(typeof(AlpPermission), ParameterSetName = new[] { ListSet })]
    [OutputType(typeof(string), ParameterSetName = new[] { YamlSet })]
    public sealed class GetAlpPermissionCommand : AlpCmdlet
    {
        private const string ListSet = "List";
        private const string YamlSet = "Yaml";
        private readonly List<AlpPermission> _selected = new();

        /// <summary>The cmdlets (wildcards allowed); default: all of them.</summary>
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(AlpCommandCompleter))]
        [ValidateNotNullOrEmpty]
        public string[]? Command { get; set; }

        /// <summary>Only these modes (Default, Live, Offline, Restart, AllowIstioPilot, Cluster, Files); a switch mode brings its command's Default rules along.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? Mode { get; set; }

        /// <summary>Write the rules as RBAC YAML instead of objects.</summary>
        [Parameter(Mandatory = true, ParameterSetName = YamlSet)]
        public SwitchParameter AsYaml { get; set; }

        /// <summary>ClusterRole (one, every rule) or Role (Roles for the namespaced rules, a ClusterRole for the rest).</summary>
        // A string, not the core's RoleKind: a parameter's type is read when PowerShell scans the module's cmdlets,
        // before the core's load context is set up (the same reason -OverlayFormat is a string).
        [Parameter(ParameterSetName = YamlSet)]
        [ValidateSet("ClusterRole", "Role", IgnoreCase = true)]
        public string Kind { get; set; } = "ClusterRole";

        [Parameter(ParameterSetName = YamlSet)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "calicoalp";

        /// <summary>With -Kind Role: the namespaces Add-/Remove-AlpNamespace will be given.</summary>
        [Parameter(ParameterSetName = YamlSet)]
        [ValidateNotNullOrEmpty]
        public string[]? TargetNamespace { get; set; }

        protected override void ProcessRecord()
        {
            var patterns = (Command ?? new[] { "*" }).ToList();
            foreach (var p in patterns)
            {
                var wildcard = WildcardPattern.Get(p, WildcardOptions.IgnoreCase);
                var commands = CmdletPermissions.Commands.Where(c => wildcard.IsMatch(c)).ToList();
                if (commands.Count == 0)
                {
                    if (!WildcardPattern.ContainsWildcardCharacters(p))
                    {
                        WriteError(ToErrorRecord(new AlpException("PermissionCommandNotFound", AlpErrorKind.ObjectNotFound,
                            $"No permission rules for '{p}': the commands in the table are {string.Join(", ", CmdletPermissions.Commands)}.", p)));
                    }
                    continue;
                }
                foreach (var c in commands)
                {
                    foreach (var row in CmdletPermissions.For(c))
                    {
                        if (Mode != null && !Mode.Contains(row.Mode, StringComparer.OrdinalIgnoreCase)) continue;
                        var rules = Mode != null ? CmdletPermissions.Effective(c, row.Mode) : row.Rules;
                        foreach (var rule in rules)
                        {
                            var item = AlpPermission.From(row, rule);
                            if (_selected.Any(s => s.Command == item.Command && s.Mode == item.Mode && s.ToRule() == item.ToRule())) continue;
                            _selected.Add(item);
                        }
                    }
                }
            }
            if (!AsYaml)
            {
                foreach (var s in _selected) WriteObject(s);
                _selected.Clear();
            }
        }

        protected override void EndProcessing()
        {
            if (!AsYaml || _selected.Count == 0) return;
            try
            {
                WriteObject(RoleYaml.Write(_selected.Select(s => s.ToRule()), Enum.Parse<RoleKind>(Kind, ignoreCase: true), Name, TargetNamespace));
            }
            catch (AlpException ex)
            {
                Terminate(ex);
            }
        }
    }
}
