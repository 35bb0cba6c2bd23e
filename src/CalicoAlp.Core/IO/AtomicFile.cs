using System;
using System.IO;
using System.Text;
using CalicoAlp.Core.Diagnostics;

namespace CalicoAlp.Core.IO
{
    /// <summary>
    /// The one way the module writes a file: the new content goes to a temporary file in the target's folder, is
    /// flushed to disk, and is then renamed over the target (an atomic replace on the same file system). If anything
    /// fails (full disk, no permission, missing folder) the temporary file is removed and the target keeps its old
    /// content byte for byte; the caller gets an <see cref="AlpException"/> <see cref="WriteFailedErrorId"/> naming
    /// the path and the operating system's reason. An existing target keeps its Unix permission bits, and a symbolic
    /// link stays a link (the file it points to is replaced).
    /// </summary>
    public static class AtomicFile
    {
        public const string WriteFailedErrorId = "FileWriteFailed";

        /// <summary>Writes <paramref name="contents"/> with <paramref name="encoding"/> (its preamble, e.g. a BOM, first, as File.WriteAllText does).</summary>
        public static void WriteAllText(string path, string contents, Encoding encoding)
        {
            var preamble = encoding.GetPreamble();
            var body = encoding.GetBytes(contents);
            var bytes = new byte[preamble.Length + body.Length];
            preamble.CopyTo(bytes, 0);
            body.CopyTo(bytes, preamble.Length);
            WriteAllBytes(path, bytes);
        }

        public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
        {
            var target = Path.GetFullPath(path);
            string? temp = null;
            try
            {
                target = FinalTarget(target);
                if (Directory.Exists(target))
                {
                    throw new AlpException(WriteFailedErrorId, AlpErrorKind.WriteError,
                        $"Cannot write the file '{target}': it is a directory.", target);
                }
                var folder = Path.GetDirectoryName(target) ?? throw new IOException("the path has no parent folder");
                temp = Path.Combine(folder, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
                using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1))
                {
                    KeepPermissions(target, temp);
                    stream.Write(bytes);
                    stream.Flush(flushToDisk: true);
                }
                File.Move(temp, target, overwrite: true);
                temp = null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
            {
                throw new AlpException(WriteFailedErrorId, AlpErrorKind.WriteError,
                    $"Cannot write the file '{target}': {Reason(ex, temp)}. The file was left as it was.", target, ex)
                { RecommendedAction = "Free space on the disk, or choose a path the current user may write to, and run the command again." };
            }
            finally
            {
                if (temp != null) TryDelete(temp);
            }
        }

        /// <summary>A symbolic link's final target (so that the link survives the rename); otherwise the path itself.</summary>
        private static string FinalTarget(string path)
        {
            var info = new FileInfo(path);
            if (info.LinkTarget == null) return path;
            var final = info.ResolveLinkTarget(returnFinalTarget: true);
            return final == null ? path : Path.GetFullPath(final.FullName);
        }

        private static void KeepPermissions(string target, string temp)
        {
            if (OperatingSystem.IsWindows() || !File.Exists(target)) return;
            File.SetUnixFileMode(temp, File.GetUnixFileMode(target));
        }

        /// <summary>The operating system's reason, without the temporary file's name (which no longer exists).</summary>
        private static string Reason(Exception ex, string? temp)
        {
            var message = ex.Message;
            if (temp != null)
            {
                message = message.Replace($" : '{temp}'", "", StringComparison.Ordinal).Replace($"'{temp}'", "a temporary file next to it", StringComparison.Ordinal);
            }
            return message.TrimEnd('.', ' ');
        }

        private static void TryDelete(string temp)
        {
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
                // nothing more can be done; the original file is untouched either way
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
