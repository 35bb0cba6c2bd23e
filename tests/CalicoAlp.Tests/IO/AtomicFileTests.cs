using System;
using System.IO;
using System.Linq;
using System.Text;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.IO;
using CalicoAlp.Tests.Infrastructure;
using Xunit;

namespace CalicoAlp.Tests.IO
{
    /// <summary>AtomicFile on real file systems: a temp folder, and a full 64 KB tmpfs for the failures.</summary>
    public sealed class AtomicFileTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "calicoalp-atomic-" + Guid.NewGuid().ToString("N"));

        public AtomicFileTests() => Directory.CreateDirectory(_dir);

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        private static string[] Entries(string dir) => Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToArray()!;

        [Fact]
        public void Writes_a_new_file_and_leaves_no_temporary_file()
        {
            var path = Path.Combine(_dir, "new.yaml");
            AtomicFile.WriteAllText(path, "a: 1\n", new UTF8Encoding(false));
            Assert.Equal("a: 1\n"u8.ToArray(), File.ReadAllBytes(path));
            Assert.Equal(new[] { "new.yaml" }, Entries(_dir));
        }

        [Fact]
        public void Writes_the_encodings_preamble_like_File_WriteAllText()
        {
            var path = Path.Combine(_dir, "bom.yaml");
            AtomicFile.WriteAllText(path, "a: é\n", new UTF8Encoding(true));
            var reference = Path.Combine(_dir, "reference.yaml");
            File.WriteAllText(reference, "a: é\n", new UTF8Encoding(true));
            Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(path));
        }

        [Fact]
        public void Replaces_an_existing_file_by_renaming_a_new_one_over_it()
        {
            var path = Path.Combine(_dir, "f.yaml");
            File.WriteAllText(path, "old content\n");
            // A reader that has the old file open keeps seeing the old content: the file was replaced, not rewritten in place.
            using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            AtomicFile.WriteAllText(path, "new\n", new UTF8Encoding(false));
            Assert.Equal("new\n", File.ReadAllText(path));
            Assert.Equal("old content\n", new StreamReader(reader).ReadToEnd());
            Assert.Equal(new[] { "f.yaml" }, Entries(_dir));
        }

        [Fact]
        public void Keeps_the_targets_permissions()
        {
            if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("Unix permission bits: CI runs on Linux");
            var path = Path.Combine(_dir, "secret.yaml");
            File.WriteAllText(path, "old\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
            AtomicFile.WriteAllText(path, "new\n", new UTF8Encoding(false));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path));
        }

        [Fact]
        public void A_symbolic_link_stays_a_link_and_its_target_gets_the_content()
        {
            var real = Path.Combine(_dir, "real.yaml");
            var link = Path.Combine(_dir, "link.yaml");
            File.WriteAllText(real, "old\n");
            File.CreateSymbolicLink(link, real);
            AtomicFile.WriteAllText(link, "new\n", new UTF8Encoding(false));
            Assert.Equal(real, new FileInfo(link).LinkTarget);
            Assert.Equal("new\n", File.ReadAllText(real));
            Assert.Equal(new[] { "link.yaml", "real.yaml" }, Entries(_dir));
        }

        [Fact]
        public void On_a_full_disk_the_target_is_unchanged_and_the_temporary_file_is_removed()
        {
            using var fs = new TinyFileSystem(64);
            var path = Path.Combine(fs.Root, "f.yaml");
            var original = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("key: value\n", 800)));
            File.WriteAllBytes(path, original);
            fs.FillUp();

            var ex = Assert.Throws<AlpException>(() => AtomicFile.WriteAllText(path, "replacement that needs a new block\n", new UTF8Encoding(false)));
            Assert.Equal("FileWriteFailed", ex.ErrorId);
            Assert.Equal(AlpErrorKind.WriteError, ex.Kind);
            Assert.Equal(path, ex.Target);
            Assert.Contains($"'{path}'", ex.Message, StringComparison.Ordinal);
            Assert.Contains("No space left on device", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(".tmp", ex.Message, StringComparison.Ordinal);
            Assert.Equal(original, File.ReadAllBytes(path));
            Assert.Equal(new[] { "f.yaml", "filler" }, Entries(fs.Root));
        }

        [Fact]
        public void A_missing_folder_is_a_FileWriteFailed_error()
        {
            var path = Path.Combine(_dir, "no-such-folder", "f.yaml");
            var ex = Assert.Throws<AlpException>(() => AtomicFile.WriteAllText(path, "x", new UTF8Encoding(false)));
            Assert.Equal("FileWriteFailed", ex.ErrorId);
            Assert.Equal(path, ex.Target);
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
            Assert.Empty(Entries(_dir));
        }

        [Fact]
        public void A_folder_as_target_is_refused_and_left_alone()
        {
            var path = Path.Combine(_dir, "folder");
            Directory.CreateDirectory(path);
            File.WriteAllText(Path.Combine(path, "inside.txt"), "kept");
            var ex = Assert.Throws<AlpException>(() => AtomicFile.WriteAllText(path, "x", new UTF8Encoding(false)));
            Assert.Equal("FileWriteFailed", ex.ErrorId);
            Assert.Contains("is a directory", ex.Message, StringComparison.Ordinal);
            Assert.Equal("kept", File.ReadAllText(Path.Combine(path, "inside.txt")));
            Assert.Equal(new[] { "folder" }, Entries(_dir));
        }
    }
}
