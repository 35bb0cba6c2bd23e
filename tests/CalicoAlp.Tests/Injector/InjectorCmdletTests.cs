using System;
using System.Collections.ObjectModel;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text;
using CalicoAlp.Cmdlets;
using CalicoAlp.Core.Injector;
using Xunit;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Tests.Injector
{
    /// <summary>Set-/Remove-IstioInjectorPatch in offline mode, hosted in-process.</summary>
    [Trait("Category", "Shared")]
    public sealed class InjectorCmdletTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "calicoalp-injector-" + Guid.NewGuid().ToString("N"));

        public InjectorCmdletTests()
        {
            Directory.CreateDirectory(_dir);
        }

        public void Dispose()
        {
            Directory.Delete(_dir, recursive: true);
        }

        private static PowerShell Shell()
        {
            var iss = InitialSessionState.CreateDefault2();
            iss.Commands.Add(new SessionStateCmdletEntry("Set-IstioInjectorPatch", typeof(SetIstioInjectorPatchCommand), null));
            iss.Commands.Add(new SessionStateCmdletEntry("Remove-IstioInjectorPatch", typeof(RemoveIstioInjectorPatchCommand), null));
            return PowerShell.Create(iss);
        }

        private static Collection<PSObject> Invoke(PowerShell ps, string command, out PSDataCollection<ErrorRecord> errors)
        {
            ps.AddScript(command);
            var output = ps.Invoke();
            errors = ps.Streams.Error;
            return output;
        }

        private string Rendered(string file) => Path.Combine(SharedFiles.Rendered("v3.12"), file);

        private static string Quote(string path) => "'" + path.Replace("'", "''", StringComparison.Ordinal) + "'";

        [Fact]
        public void Remove_then_set_through_files_gives_calicos_file_back()
        {
            var stock = Path.Combine(_dir, "stock.yaml");
            var patched = Path.Combine(_dir, "patched.yaml");
            using var ps = Shell();
            var removed = Invoke(ps, $"Remove-IstioInjectorPatch -Path {Quote(Rendered("istio-inject-configmap-1.4.2.yaml"))} -OutFile {Quote(stock)}", out var errors);
            Assert.Empty(errors);
            var r = Assert.IsType<InjectorPatchResult>(Assert.Single(removed).BaseObject);
            Assert.Equal(InjectorEditAction.Removed, r.Action);
            Assert.Equal("offline", r.Context);
            Assert.Equal("1.4", r.IstioVersion);
            Assert.Equal("calico/dikastes:v3.12.3", r.PreviousImage);
            Assert.DoesNotContain("dikastes", File.ReadAllText(stock), StringComparison.Ordinal);

            ps.Commands.Clear();
            var set = Invoke(ps, $"Set-IstioInjectorPatch -Path {Quote(stock)} -CalicoVersion 3.12.3 -OutFile {Quote(patched)} -ShowDiff", out errors);
            Assert.Empty(errors);
            var s = Assert.IsType<InjectorPatchResult>(Assert.Single(set).BaseObject);
            Assert.Equal(InjectorEditAction.Created, s.Action);
            Assert.Equal("3.12.3", s.CalicoVersion);
            Assert.Equal("calico/dikastes:v3.12.3", s.Image);
            Assert.Equal(patched, s.OutFile);
            Assert.Contains("+  - name: dikastes", s.Diff, StringComparison.Ordinal);
            Assert.Equal(File.ReadAllBytes(Rendered("istio-inject-configmap-1.4.2.yaml")), File.ReadAllBytes(patched));
        }

        [Fact]
        public void Same_image_is_unchanged_and_another_image_updates()
        {
            var outFile = Path.Combine(_dir, "out.yaml");
            using var ps = Shell();
            var same = Invoke(ps, $"Set-IstioInjectorPatch {Quote(Rendered("istio-inject-configmap-1.1.7.yaml"))} -DikastesImage calico/dikastes:v3.12.3 -OutFile {Quote(outFile)}", out var errors);
            Assert.Empty(errors);
            Assert.Equal(InjectorEditAction.Unchanged, ((InjectorPatchResult)same[0].BaseObject).Action);
            Assert.Equal("1.1.7", ((InjectorPatchResult)same[0].BaseObject).IstioVersion);

            ps.Commands.Clear();
            var other = Invoke(ps, $"Set-IstioInjectorPatch {Quote(Rendered("istio-inject-configmap-1.1.7.yaml"))} -DikastesImage registry.example/calico/dikastes:v3.12.3-fix -CalicoVersion 3.12.3 -OutFile {Quote(outFile)}", out errors);
            Assert.Empty(errors);
            var r = (InjectorPatchResult)other[0].BaseObject;
            Assert.Equal(InjectorEditAction.Updated, r.Action);
            Assert.Equal("calico/dikastes:v3.12.3", r.PreviousImage);
            var written = File.ReadAllText(outFile);
            Assert.Single(written.Split('\n'), l => l.Trim() == "- name: dikastes");
            Assert.Contains("image: registry.example/calico/dikastes:v3.12.3-fix", written, StringComparison.Ordinal);
        }

        [Fact]
        public void WhatIf_prints_the_diff_and_writes_nothing()
        {
            var stock = Path.Combine(_dir, "stock.yaml");
            File.WriteAllText(stock, InjectorConfigDocument.Load(File.ReadAllText(Rendered("istio-inject-configmap-1.2.0.yaml"))).WithConfig(
                InjectorTemplateEditor.Remove(InjectorConfigDocument.Load(File.ReadAllText(Rendered("istio-inject-configmap-1.2.0.yaml"))).Config).After));
            var outFile = Path.Combine(_dir, "never.yaml");
            using var ps = Shell();
            var result = Invoke(ps, $"Set-IstioInjectorPatch {Quote(stock)} -CalicoVersion 3.12.3 -OutFile {Quote(outFile)} -WhatIf", out var errors);
            Assert.Empty(errors);
            Assert.False(File.Exists(outFile));
            var r = (InjectorPatchResult)result[0].BaseObject;
            Assert.True(r.WhatIf);
            Assert.Null(r.OutFile);
            Assert.Equal(InjectorEditAction.Created, r.Action);
            // the diff ShouldProcess printed is on the result too
            Assert.Contains("+  - name: dikastes", r.Diff, StringComparison.Ordinal);
            Assert.Contains("+      driver: nodeagent/uds", r.Diff, StringComparison.Ordinal);
        }

        [Fact]
        public void Json_configmap_is_patched_and_written_as_json()
        {
            var doc = InjectorConfigDocument.Load(File.ReadAllText(Rendered("istio-inject-configmap-1.4.2.yaml")));
            var stockConfig = InjectorTemplateEditor.Remove(doc.Config).After;
            var json = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"ConfigMap\",\n  \"metadata\": {\"name\": \"istio-sidecar-injector\", \"namespace\": \"istio-system\"},\n  \"data\": {\n    \"values\": \"{\\\"global\\\":{\\\"tag\\\":\\\"1.4.2\\\"}}\",\n    \"config\": " +
                       System.Text.Json.JsonSerializer.Serialize(stockConfig) + "\n  }\n}\n";
            var input = Path.Combine(_dir, "cm.json");
            var output = Path.Combine(_dir, "cm-patched.json");
            File.WriteAllText(input, json);
            using var ps = Shell();
            var result = Invoke(ps, $"Set-IstioInjectorPatch {Quote(input)} -CalicoVersion 3.12.3 -OutFile {Quote(output)}", out var errors);
            Assert.Empty(errors);
            var r = (InjectorPatchResult)result[0].BaseObject;
            Assert.Equal("1.4.2", r.IstioVersion);
            Assert.Equal("values global.tag", r.IstioVersionSource);
            var written = InjectorConfigDocument.Load(File.ReadAllText(output));
            Assert.Equal(DocumentFormat.Json, written.Format);
            Assert.Equal(doc.Config, written.Config);
            Assert.StartsWith("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"ConfigMap\",\n  \"metadata\": {\"name\": \"istio-sidecar-injector\"", File.ReadAllText(output), StringComparison.Ordinal);
        }

        [Fact]
        public void Unrecognised_template_is_a_non_terminating_error_and_nothing_is_written()
        {
            var input = Path.Combine(_dir, "bad.yaml");
            File.WriteAllText(input, "data:\n  config: |-\n    policy: enabled\n    template: |-\n      containers:\n      - name: app\n");
            var output = Path.Combine(_dir, "bad-out.yaml");
            using var ps = Shell();
            var result = Invoke(ps, $"Set-IstioInjectorPatch {Quote(input)} -CalicoVersion 3.12.3 -OutFile {Quote(output)}", out var errors);
            Assert.Empty(result);
            var e = Assert.Single(errors);
            Assert.Equal("InjectorTemplateUnrecognized", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains("volumes:", e.Exception.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(output));
        }

        [Fact]
        public void Missing_calico_version_stops_the_cmdlet()
        {
            using var ps = Shell();
            var output = Path.Combine(_dir, "o.yaml");
            // a statement-terminating error: no output, one error, nothing written
            var result = Invoke(ps, $"Set-IstioInjectorPatch {Quote(Rendered("istio-inject-configmap-1.4.2.yaml"))} -DikastesImage my/dikastes:latest -OutFile {Quote(output)}", out var errors);
            Assert.Empty(result);
            Assert.Equal("CalicoVersionUnknown", Assert.Single(errors).FullyQualifiedErrorId.Split(',')[0]);
            Assert.False(File.Exists(output));
        }

        [Fact]
        public void Default_output_uses_the_table_view_columns()
        {
            var fmt = File.ReadAllText(Path.Combine(SharedFiles.RepositoryRoot, "module", "CalicoAlp.Format.ps1xml"));
            Assert.Contains("<TypeName>CalicoAlp.Core.Results.InjectorPatchResult</TypeName>", fmt, StringComparison.Ordinal);
            var psd1 = File.ReadAllText(Path.Combine(SharedFiles.RepositoryRoot, "CalicoAlp.psd1"));
            Assert.Contains("'Set-IstioInjectorPatch'", psd1, StringComparison.Ordinal);
            Assert.Contains("'Remove-IstioInjectorPatch'", psd1, StringComparison.Ordinal);
        }
    }
}
