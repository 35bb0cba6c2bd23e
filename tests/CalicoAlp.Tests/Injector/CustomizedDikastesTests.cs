using System;
using System.Collections;
using System.IO;
using System.Linq;
using System.Management.Automation;
using CalicoAlp.Core.Injector;
using CalicoAlp.Tests.Infrastructure;
using Xunit;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Tests.Injector
{
    /// <summary>
    /// Issue 9 item 4, offline: a customised dikastes container (extra env, resources, other args, a second dikastes) is
    /// refused with nothing written, and with -Force nothing is unrecoverable.
    /// </summary>
    public sealed class CustomizedDikastesTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "calicoalp-custom-" + Guid.NewGuid().ToString("N"));
        private readonly CmdletHost _host = new();

        public CustomizedDikastesTests()
        {
            Directory.CreateDirectory(_dir);
        }

        public void Dispose()
        {
            _host.Dispose();
            Directory.Delete(_dir, recursive: true);
        }

        public static System.Collections.Generic.IEnumerable<object[]> All() => DikastesCustomizations.All();

        /// <summary>Calico's v3.12 file for Istio 1.4.2 with the customisation; returns its path and the lost lines.</summary>
        private (string Path, string[] Lost) Customized(string name)
        {
            var text = SharedFiles.Read(Path.Combine(SharedFiles.Rendered("v3.12"), "istio-inject-configmap-1.4.2.yaml"));
            var doc = InjectorConfigDocument.Load(text);
            var (config, lost) = DikastesCustomizations.Apply(doc.Config, name);
            var path = Path.Combine(_dir, name + ".yaml");
            File.WriteAllText(path, doc.WithConfig(config));
            return (path, lost);
        }

        private InvocationResult Set(string path, string outFile, bool force, string calico = "3.12.3")
        {
            var p = new Hashtable { ["Path"] = path, ["OutFile"] = outFile, ["CalicoVersion"] = calico, ["Confirm"] = false };
            if (force) p["Force"] = true;
            return _host.Invoke("Set-IstioInjectorPatch", p);
        }

        [Theory]
        [MemberData(nameof(All))]
        public void Refused_without_Force_naming_the_file_and_the_lost_lines_and_the_file_is_untouched(string name)
        {
            var (path, lost) = Customized(name);
            var before = File.ReadAllBytes(path);
            // writing over the input (the case that loses data) and to another file
            foreach (var outFile in new[] { path, Path.Combine(_dir, "out-" + name + ".yaml") })
            {
                var r = Set(path, outFile, force: false);
                Assert.Empty(r.Output);
                var e = Assert.Single(r.Errors);
                Assert.Equal("CustomizedDikastes,CalicoAlp.Cmdlets.SetIstioInjectorPatchCommand", e.FullyQualifiedErrorId);
                Assert.Equal(ErrorCategory.InvalidOperation, e.CategoryInfo.Category);
                Assert.Equal(path, e.TargetObject);
                foreach (var line in lost) Assert.Contains(line, e.Exception.Message, StringComparison.Ordinal);
                Assert.Contains("-Force", e.ErrorDetails?.RecommendedAction ?? "", StringComparison.Ordinal);
                Assert.Equal(before, File.ReadAllBytes(path));
            }
            Assert.False(File.Exists(Path.Combine(_dir, "out-" + name + ".yaml")));
            Assert.Empty(Directory.GetFiles(_dir, "*.calicoalp-backup*"));
        }

        [Theory]
        [MemberData(nameof(All))]
        public void With_Force_in_place_the_file_as_it_was_is_kept_beside_it(string name)
        {
            var (path, lost) = Customized(name);
            var before = File.ReadAllBytes(path);
            var r = Set(path, path, force: true);
            r.AssertSuccess();
            var result = Assert.Single(r.OutputOf<InjectorPatchResult>());
            Assert.Equal(InjectorEditAction.Updated, result.Action);
            // the container is Calico's now (one dikastes, nothing of the customisation left)
            var config = InjectorConfigDocument.Load(File.ReadAllText(path)).Config;
            Assert.Equal(InjectorConfigDocument.Load(SharedFiles.Read(Path.Combine(SharedFiles.Rendered("v3.12"), "istio-inject-configmap-1.4.2.yaml"))).Config, config);
            // ... and the customised file is kept, byte for byte, in the backup the result and the warning name
            Assert.Equal(path + ".calicoalp-backup", result.BackupName);
            Assert.Equal(before, File.ReadAllBytes(path + ".calicoalp-backup"));
            var replaced = Assert.Single(result.ReplacedCustomizations);
            Assert.Equal(lost.Where(l => l.Trim().Length > 0), replaced.Lines.Where(l => lost.Contains(l)));
            Assert.Contains(r.Warnings, w => w.Contains(path + ".calicoalp-backup", StringComparison.Ordinal) && w.Contains(lost[0], StringComparison.Ordinal));

            // a second forced run over a customised file never overwrites the first backup
            File.WriteAllBytes(path, before);
            var again = Set(path, path, force: true);
            again.AssertSuccess();
            Assert.Equal(path + ".calicoalp-backup.1", Assert.Single(again.OutputOf<InjectorPatchResult>()).BackupName);
            Assert.Equal(before, File.ReadAllBytes(path + ".calicoalp-backup"));
            Assert.Equal(before, File.ReadAllBytes(path + ".calicoalp-backup.1"));
        }

        [Theory]
        [MemberData(nameof(All))]
        public void With_Force_to_another_file_the_input_is_the_copy_and_stays_unchanged(string name)
        {
            var (path, _) = Customized(name);
            var before = File.ReadAllBytes(path);
            var outFile = Path.Combine(_dir, "forced.yaml");
            var r = Set(path, outFile, force: true);
            r.AssertSuccess();
            var result = Assert.Single(r.OutputOf<InjectorPatchResult>());
            Assert.Null(result.BackupName);
            Assert.NotEmpty(result.ReplacedCustomizations);
            Assert.Equal(before, File.ReadAllBytes(path));
            Assert.Contains(r.Warnings, w => w.Contains(path, StringComparison.Ordinal));
            Assert.True(InjectorTemplateEditor.Inspect(InjectorConfigDocument.Load(File.ReadAllText(outFile)).Config).IsCompletelyPatched);
        }

        [Fact]
        public void Calicos_own_container_with_another_image_or_an_older_securityContext_is_not_a_customisation()
        {
            var text = SharedFiles.Read(Path.Combine(SharedFiles.Rendered("v3.12"), "istio-inject-configmap-1.4.2.yaml"));
            var config = InjectorConfigDocument.Load(text).Config;
            // 3.12's container (runAsNonRoot) updated to 3.17's (no runAsNonRoot) and a private image: no -Force needed
            var edit = InjectorTemplateEditor.Set(config, DikastesSidecarOptions.From("3.17.0", "mirror.local/dikastes:v3.17.0"));
            Assert.Equal(InjectorEditAction.Updated, edit.Action);
            Assert.Empty(edit.ReplacedCustomizations);
        }
    }
}
