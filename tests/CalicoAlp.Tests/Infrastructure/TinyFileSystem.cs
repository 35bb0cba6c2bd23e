using System;
using System.IO;

namespace CalicoAlp.Tests.Infrastructure
{
    /// <summary>
    /// A real, tiny file system: a tmpfs of a few KB mounted on a fresh folder (needs root, as CI runs), unmounted on
    /// Dispose. <see cref="FillUp"/> takes all of its free space, so that the next write fails with "No space left on
    /// device". Mounting is never skipped: if it is impossible the test fails and says why.
    /// </summary>
    public sealed class TinyFileSystem : IDisposable
    {
        public TinyFileSystem(int sizeKb = 64)
        {
            if (!OperatingSystem.IsLinux())
            {
                throw new PlatformNotSupportedException("TinyFileSystem mounts a tmpfs: it needs Linux (CI runs these tests on Linux as root).");
            }
            Root = Path.Combine(Path.GetTempPath(), "calicoalp-tmpfs-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Root);
            var r = ProcessRunner.Run("mount", new[] { "-t", "tmpfs", "-o", $"size={sizeKb}k,mode=0755", "tmpfs", Root });
            if (r.ExitCode != 0)
            {
                Directory.Delete(Root);
                throw new InvalidOperationException(
                    $"Cannot mount a {sizeKb} KB tmpfs on {Root} (exit {r.ExitCode}): {r.Combined.Trim()}. " +
                    "This test needs root (or CAP_SYS_ADMIN) to build a real full file system; CI runs as root.");
            }
        }

        /// <summary>The mount point.</summary>
        public string Root { get; }

        /// <summary>Writes a filler file until the file system refuses more ("No space left on device").</summary>
        public void FillUp()
        {
            using var filler = new FileStream(Path.Combine(Root, "filler"), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1);
            foreach (var chunk in new[] { 4096, 512, 1 })
            {
                var block = new byte[chunk];
                try
                {
                    while (true)
                    {
                        filler.Write(block);
                        filler.Flush(flushToDisk: true);
                    }
                }
                catch (IOException)
                {
                    // full at this granularity; try smaller writes to take the last bytes too
                }
            }
            var probe = Path.Combine(Root, "probe");
            try
            {
                File.WriteAllBytes(probe, new byte[] { 1 });
                throw new InvalidOperationException($"{Root} still takes a new file after FillUp");
            }
            catch (IOException)
            {
                if (File.Exists(probe)) File.Delete(probe);
            }
        }

        public void Dispose()
        {
            var r = ProcessRunner.Run("umount", new[] { Root });
            if (r.ExitCode != 0)
            {
                throw new InvalidOperationException($"umount {Root} failed (exit {r.ExitCode}): {r.Combined.Trim()}");
            }
            Directory.Delete(Root);
        }
    }
}
