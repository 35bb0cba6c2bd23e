using System;
using System.IO;
using System.Management.Automation;
using CalicoAlp.Cmdlets;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Tests.Infrastructure;
using Xunit;

namespace CalicoAlp.Tests.Unit
{
    /// <summary>The version is written once, as ModuleVersion in CalicoAlp.psd1; the assemblies take it at build time.</summary>
    public class ModuleVersionTests
    {
        private static Version ManifestVersion()
        {
            using var ps = PowerShell.Create();
            ps.AddCommand("Import-PowerShellDataFile").AddParameter("LiteralPath", Path.Combine(RepoPaths.Root, "CalicoAlp.psd1"));
            var data = (System.Collections.Hashtable)ps.Invoke()[0].BaseObject;
            return Version.Parse((string)data["ModuleVersion"]!);
        }

        [Fact]
        public void Every_assembly_carries_the_manifests_ModuleVersion()
        {
            var expected = ManifestVersion();
            foreach (var assembly in new[] { typeof(AlpCmdlet).Assembly, typeof(AlpException).Assembly })
            {
                var actual = assembly.GetName().Version!;
                Assert.Equal(new Version(expected.Major, expected.Minor, Math.Max(expected.Build, 0), Math.Max(expected.Revision, 0)), actual);
            }
        }

        [Fact]
        public void The_version_is_written_nowhere_else()
        {
            // Directory.Build.props reads it from the manifest; no project file sets its own.
            Assert.Contains("CalicoAlp.psd1", File.ReadAllText(Path.Combine(RepoPaths.Root, "Directory.Build.props")), StringComparison.Ordinal);
            foreach (var project in Directory.GetFiles(Path.Combine(RepoPaths.Root, "src"), "*.csproj", SearchOption.AllDirectories))
            {
                var text = File.ReadAllText(project);
                Assert.DoesNotContain("<Version>", text, StringComparison.Ordinal);
                Assert.DoesNotContain("<AssemblyVersion>", text, StringComparison.Ordinal);
            }
        }
    }
}
