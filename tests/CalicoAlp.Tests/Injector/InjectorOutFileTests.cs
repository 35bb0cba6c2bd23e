using System;
using System.Collections;
using System.IO;
using System.Linq;
using System.Management.Automation;
using CalicoAlp.Tests.Infrastructure;
using Xunit;

namespace CalicoAlp.Tests.Injector
{
    /// <summary>Set-IstioInjectorPatch -Path f -OutFile f on a real full file system (a 64 KB tmpfs): f survives byte for byte.</summary>
    public sealed class InjectorOutFileTests : IDisposable
    {
        private readonly CmdletHost _host = new();

        public void Dispose() => _host.Dispose();

        private static string StockConfigMap => Path.Combine(RepoPaths.Root, "tests", "cluster", "fixture", "istio-sidecar-injector-configmap.yaml");

        /// <summary>The file with a leading YAML comment that makes its length a multiple of the page size minus one.</summary>
        private static byte[] PaddedToOneByteShortOfAPage(string file)
        {
            var text = File.ReadAllBytes(file);
            var page = Environment.SystemPageSize;
            var pad = (page - 1 - (text.Length + 3) % page + page) % page; // "# " + pad + "\n" in front
            var bytes = System.Text.Encoding.ASCII.GetBytes("# " + new string('x', pad) + "\n").Concat(text).ToArray();
            Assert.Equal(page - 1, bytes.Length % page);
            return bytes;
        }

        [Fact]
        public void An_in_place_edit_on_a_full_disk_is_a_FileWriteFailed_error_and_the_file_is_unchanged()
        {
            using var fs = new TinyFileSystem(64);
            var path = Path.Combine(fs.Root, "f.yaml");
            // The file ends one byte short of a page, so the patched text (longer) needs a page the full disk does not
            // have even when it is rewritten in place: File.WriteAllText would truncate f.yaml and then fail.
            var original = PaddedToOneByteShortOfAPage(StockConfigMap);
            File.WriteAllBytes(path, original);
            fs.FillUp();

            var r = _host.Invoke("Set-IstioInjectorPatch", new Hashtable { ["Path"] = path, ["OutFile"] = path, ["CalicoVersion"] = "3.12.3" });

            Assert.Empty(r.Output);
            Assert.NotNull(r.Terminating);
            Assert.Equal("FileWriteFailed,CalicoAlp.Cmdlets.SetIstioInjectorPatchCommand", r.Terminating!.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.WriteError, r.Terminating.CategoryInfo.Category);
            Assert.Equal(path, r.Terminating.TargetObject);
            Assert.Contains($"'{path}'", r.Terminating.Exception.Message, StringComparison.Ordinal);
            Assert.Contains("No space left on device", r.Terminating.Exception.Message, StringComparison.Ordinal);
            Assert.Equal(original, File.ReadAllBytes(path));
            Assert.Equal(new[] { "f.yaml", "filler" }, Directory.GetFileSystemEntries(fs.Root).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
        }

        [Fact]
        public void The_same_in_place_edit_with_space_left_patches_the_file()
        {
            using var fs = new TinyFileSystem(64);
            var path = Path.Combine(fs.Root, "f.yaml");
            File.Copy(StockConfigMap, path);
            var original = File.ReadAllBytes(path);

            var r = _host.Invoke("Set-IstioInjectorPatch", new Hashtable { ["Path"] = path, ["OutFile"] = path, ["CalicoVersion"] = "3.12.3" });

            r.AssertSuccess();
            var after = File.ReadAllText(path);
            Assert.NotEqual(original, File.ReadAllBytes(path));
            Assert.Contains("calico/dikastes:v3.12.3", after, StringComparison.Ordinal);
            Assert.Equal(new[] { "f.yaml" }, Directory.GetFileSystemEntries(fs.Root).Select(Path.GetFileName));
        }
    }
}
