using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Xml.Linq;
using CalicoAlp.Cmdlets;
using CalicoAlp.Tests.Infrastructure;
using Xunit;

namespace CalicoAlp.Tests.Unit
{
    /// <summary>
    /// Every object a cmdlet emits, and every type a format view binds to, is in the one public namespace
    /// CalicoAlp.Core.Results: users' scripts and the views name these types, so a file may move but a name may not.
    /// </summary>
    public class OutputTypeNamespaceTests
    {
        private const string Results = "CalicoAlp.Core.Results";

        [Fact]
        public void Every_declared_output_type_is_in_the_results_namespace()
        {
            var cmdlets = typeof(AlpCmdlet).Assembly.GetTypes()
                .Where(t => t.GetCustomAttributes(typeof(CmdletAttribute), false).Length > 0).ToList();
            Assert.NotEmpty(cmdlets);
            var outside = cmdlets
                .SelectMany(c => c.GetCustomAttributes(typeof(OutputTypeAttribute), true).Cast<OutputTypeAttribute>()
                    .SelectMany(a => a.Type).Select(t => (Cmdlet: c.Name, Type: t.Type?.FullName ?? t.Name)))
                .Where(x => !x.Type.StartsWith(Results + ".", System.StringComparison.Ordinal))
                // A switch's plain answer (Get-AlpStatus -Quiet) is a .NET primitive, not a type of ours.
                .Where(x => x.Type != typeof(bool).FullName)
                // Text for other tools (Get-AlpPermission -AsYaml: RBAC YAML for kubectl apply) is a string, not an object with a view.
                .Where(x => !(x.Cmdlet == "GetAlpPermissionCommand" && x.Type == typeof(string).FullName))
                .ToList();
            Assert.True(outside.Count == 0, "Output types outside " + Results + ": " + string.Join(", ", outside));
        }

        [Fact]
        public void Every_format_view_binds_to_a_results_type_that_exists()
        {
            var format = XDocument.Load(Path.Combine(RepoPaths.Root, "module", "CalicoAlp.Format.ps1xml"));
            var names = format.Descendants("TypeName").Select(e => e.Value.Trim()).Distinct().ToList();
            Assert.NotEmpty(names);
            var core = typeof(Core.Results.ResourceChange).Assembly;
            foreach (var name in names)
            {
                Assert.StartsWith(Results + ".", name);
                // 'Type#View' is a type name a cmdlet inserts to pick another view of Type (Get-AlpStatus -Detailed).
                var type = name.Split('#')[0];
                Assert.True(core.GetType(type) != null, $"The format file names '{name}', which CalicoAlp.Core does not define.");
            }
        }
    }
}
