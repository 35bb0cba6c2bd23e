using System;
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
        public void No_cmdlet_parameter_has_a_type_of_the_core()
        {
            // PowerShell reads every cmdlet's parameter types while it imports the module, before the module initializer
            // has set up the load context the core lives in: a core type there fails the import ("Could not load
            // CalicoAlp.Core"). Parameters take strings (with ValidateSet) or PowerShell/.NET types instead.
            var core = typeof(Core.Results.ResourceChange).Assembly;
            var offending = typeof(AlpCmdlet).Assembly.GetTypes()
                .Where(t => t.IsPublic && typeof(System.Management.Automation.Cmdlet).IsAssignableFrom(t))
                .SelectMany(t => t.GetProperties().Where(p => p.GetCustomAttributes(typeof(ParameterAttribute), true).Length > 0)
                    .Where(p => (Nullable.GetUnderlyingType(p.PropertyType) ?? (p.PropertyType.IsArray ? p.PropertyType.GetElementType()! : p.PropertyType)).Assembly == core)
                    .Select(p => $"{t.Name}.{p.Name} ({p.PropertyType.Name})"))
                .ToList();
            Assert.True(offending.Count == 0, "Cmdlet parameters of a core type: " + string.Join(", ", offending));
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
