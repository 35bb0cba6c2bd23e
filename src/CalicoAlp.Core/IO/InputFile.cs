using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using CalicoAlp.Core.Diagnostics;

namespace CalicoAlp.Core.IO
{
    /// <summary>
    /// The one way the module reads a whole input file (policy file, kubeconfig): it must be a regular file (a FIFO,
    /// a device such as /dev/zero, a socket or a folder is refused before it is opened, so nothing blocks or grows
    /// without end), no larger than <see cref="InputLimits.MaxFileBytes"/>, and valid UTF-8 (or UTF-16 with a BOM, as
    /// Windows PowerShell 5.1 writes); reading honours cancellation. Every failure is an <see cref="AlpException"/>
    /// naming the file (and the line, for bad UTF-8).
    /// </summary>
    public static class InputFile
    {
        public const string NotRegularErrorId = "InputNotRegularFile";
        public const string TooLargeErrorId = "InputFileTooLarge";
        public const string NotUtf8ErrorId = "InputNotUtf8";
        public const string UnreadableErrorId = "InputFileUnreadable";

        /// <summary>Throws <see cref="NotRegularErrorId"/> unless <paramref name="path"/> is (a link to) a regular file.</summary>
        public static void RequireRegular(string path, string what)
        {
            var type = TypeOf(path);
            if (type == FileKind.Regular || type == FileKind.Unknown) return;
            if (type == FileKind.Missing)
            {
                throw new AlpException(UnreadableErrorId, AlpErrorKind.ObjectNotFound, $"{path}: the {what} does not exist.", path);
            }
            var name = type switch
            {
                FileKind.Directory => "a folder",
                FileKind.Fifo => "a named pipe (FIFO)",
                FileKind.CharacterDevice => "a character device",
                FileKind.BlockDevice => "a block device",
                FileKind.Socket => "a socket",
                _ => "not a regular file",
            };
            throw new AlpException(NotRegularErrorId, AlpErrorKind.InvalidArgument,
                $"{path}: the {what} is {name}, not a regular file; refusing to read it (it could block or never end).", path)
            {
                RecommendedAction = "Save the content to a regular file first and pass that file.",
            };
        }

        /// <summary>The bytes of a regular file of at most <see cref="InputLimits.MaxFileBytes"/>.</summary>
        public static byte[] ReadBytes(string path, string what, CancellationToken cancellationToken = default)
        {
            RequireRegular(path, what);
            long limit = InputLimits.MaxFileBytes;
            try
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
                if (stream.Length > limit) throw TooLarge(path, what, stream.Length, limit);
                // The file may grow while it is read: never read more than the limit (plus one byte to notice).
                var buffer = new byte[Math.Min(stream.Length, limit) + 1];
                int total = 0;
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (total == buffer.Length)
                    {
                        if (buffer.Length > limit) throw TooLarge(path, what, total, limit);
                        Array.Resize(ref buffer, (int)Math.Min(limit + 1, Math.Max(4096, (long)buffer.Length * 2)));
                    }
                    int n = stream.Read(buffer, total, Math.Min(buffer.Length - total, 1 << 20));
                    if (n == 0) break;
                    total += n;
                }
                if (total > limit) throw TooLarge(path, what, total, limit);
                Array.Resize(ref buffer, total);
                return buffer;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new AlpException(UnreadableErrorId, ex is UnauthorizedAccessException ? AlpErrorKind.PermissionDenied : AlpErrorKind.InvalidOperation,
                    $"{path}: cannot read the {what}: {ex.Message}", path, ex);
            }
        }

        /// <summary><see cref="ReadBytes"/> decoded strictly (see <see cref="Decode"/>).</summary>
        public static string ReadText(string path, string what, CancellationToken cancellationToken = default) =>
            Decode(ReadBytes(path, what, cancellationToken), path, what);

        /// <summary>
        /// UTF-8 (a BOM is dropped), or UTF-16 LE/BE when the text starts with that BOM. Invalid UTF-8 is refused with
        /// the line and byte offset of the first bad byte: replacing it with U+FFFD would silently change what was read.
        /// </summary>
        public static string Decode(byte[] bytes, string source, string what)
        {
            try
            {
                if (bytes.Length >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE)
                    return new UnicodeEncoding(false, true, true).GetString(bytes, 2, bytes.Length - 2);
                if (bytes.Length >= 2 && bytes[0] == 0xFE && bytes[1] == 0xFF)
                    return new UnicodeEncoding(true, true, true).GetString(bytes, 2, bytes.Length - 2);
            }
            catch (DecoderFallbackException ex)
            {
                throw new AlpException(NotUtf8ErrorId, AlpErrorKind.InvalidData, $"{source}: the {what} starts with a UTF-16 byte order mark but is not valid UTF-16.", source, ex);
            }
            int start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
            int bad = FirstInvalidUtf8(bytes, start);
            if (bad >= 0)
            {
                int line = 1;
                for (int i = 0; i < bad; i++) if (bytes[i] == (byte)'\n') line++;
                var where = $"{source}:{line}";
                throw new AlpException(NotUtf8ErrorId, AlpErrorKind.InvalidData,
                    $"{where}: the {what} is not valid UTF-8 (byte 0x{bytes[bad]:X2} at offset {bad}); refusing to read it rather than guess.", where)
                {
                    RecommendedAction = "Save the file as UTF-8 (e.g. Get-Content -Encoding <its encoding> | Set-Content -Encoding utf8NoBOM).",
                };
            }
            return Encoding.UTF8.GetString(bytes, start, bytes.Length - start);
        }

        /// <summary>Offset of the first byte that is not part of well-formed UTF-8, or -1.</summary>
        public static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes, int start = 0)
        {
            var rest = bytes[start..];
            // Decode in 64K-char chunks without replacement: the first InvalidData names the offset.
            int offset = 0;
            var chars = new char[1 << 16];
            while (offset < rest.Length)
            {
                var s = System.Text.Unicode.Utf8.ToUtf16(rest[offset..], chars, out int read, out _, replaceInvalidSequences: false, isFinalBlock: true);
                if (s == System.Buffers.OperationStatus.Done) return -1;
                if (s == System.Buffers.OperationStatus.DestinationTooSmall)
                {
                    if (read == 0) return start + offset; // cannot happen with a 64K buffer, but never loop forever
                    offset += read;
                    continue;
                }
                return start + offset + read;
            }
            return -1;
        }

        private static AlpException TooLarge(string path, string what, long size, long limit) =>
            new(TooLargeErrorId, AlpErrorKind.InvalidData,
                $"{path}: the {what} is larger than {limit / (1024 * 1024)} MiB ({(size > limit ? size.ToString(System.Globalization.CultureInfo.InvariantCulture) + " bytes or more" : "too large")}); refusing to read it whole.", path)
            {
                RecommendedAction = $"Split it into smaller files, or raise the limit with $env:{InputLimits.MaxFileMegabytesVariable} (MiB) if it really is one policy set.",
            };

        private enum FileKind { Unknown, Missing, Regular, Directory, Fifo, CharacterDevice, BlockDevice, Socket, Other }

        private static FileKind TypeOf(string path)
        {
            if (Directory.Exists(path)) return FileKind.Directory;
            if (!File.Exists(path)) return FileKind.Missing;
            if (OperatingSystem.IsWindows())
            {
                var attributes = File.GetAttributes(path);
                return (attributes & FileAttributes.Device) != 0 ? FileKind.CharacterDevice : FileKind.Regular;
            }
            try
            {
                // .NET's own portable stat (libSystem.Native, shipped with every runtime): Mode holds the POSIX type bits.
                if (NativeStat.Stat(path, out var status) != 0) return FileKind.Unknown;
                return (status.Mode & 0xF000) switch
                {
                    0x8000 => FileKind.Regular,
                    0x4000 => FileKind.Directory,
                    0x1000 => FileKind.Fifo,
                    0x2000 => FileKind.CharacterDevice,
                    0x6000 => FileKind.BlockDevice,
                    0xC000 => FileKind.Socket,
                    _ => FileKind.Other,
                };
            }
            catch (Exception ex) when (ex is DllNotFoundException || ex is EntryPointNotFoundException)
            {
                return FileKind.Unknown;
            }
        }

        private static class NativeStat
        {
            /// <summary>The start of .NET's FileStatus (Flags, Mode, ...); Size leaves room for the rest of it.</summary>
            [StructLayout(LayoutKind.Sequential, Size = 256)]
            internal struct FileStatus
            {
                public int Flags;
                public int Mode;
            }

            [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = true)]
            internal static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, out FileStatus output);
        }
    }
}
