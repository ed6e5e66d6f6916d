using System.Runtime.InteropServices;

namespace LocalStack.Persistence.Storage.Internal;

/// <summary>
/// The few POSIX calls .NET does not expose: fsync of a folder, hard links, lstat in one call, and a raw read that
/// bypasses .NET's advisory file locking (to read the pid of a lock holder).
/// </summary>
internal static partial class LinuxNative
{
    private const int ORdOnly = 0;
    private const int ODirectory = 0x10000; // Linux x64/arm64
    private const int OCloExec = 0x80000;

    public static bool IsSupported => OperatingSystem.IsLinux();

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int directoryFd, string path, int flags, uint mask, byte* buffer);

    /// <summary>
    /// Identity (device and inode), link count, size and modification time of a file, not following a symbolic link;
    /// false where statx is not available. statx's buffer has one layout on every architecture, unlike stat's.
    /// </summary>
    public static unsafe bool TryGetFileStamp(string path, out FileStamp stamp)
    {
        const int AtFdCwd = -100;
        const int AtSymlinkNoFollow = 0x100;
        const uint Mask = 0x4 /* NLINK */ | 0x40 /* MTIME */ | 0x100 /* INO */ | 0x200 /* SIZE */;
        stamp = default;
        if (!IsSupported)
        {
            return false;
        }

        var buffer = stackalloc byte[256];
        try
        {
            if (Statx(AtFdCwd, path, AtSymlinkNoFollow, Mask, buffer) != 0 || (*(uint*)buffer & Mask) != Mask)
            {
                return false;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return false; // a libc older than 2.28
        }

        stamp = new FileStamp(
            new FileId(*(uint*)(buffer + 136), *(uint*)(buffer + 140), *(ulong*)(buffer + 32)),
            LinkCount: *(uint*)(buffer + 16),
            Size: *(long*)(buffer + 40),
            ModifiedSeconds: *(long*)(buffer + 112),
            ModifiedNanoseconds: *(uint*)(buffer + 120));
        return true;
    }

    /// <summary>
    /// What a path is, not following a symbolic link at its last component (one statx call); <see langword="null"/> where
    /// statx is not available. A missing path or a missing folder on the way is <see cref="FileKind.Missing"/>.
    /// </summary>
    /// <exception cref="IOException">statx failed for another reason (for example no permission).</exception>
    public static unsafe FileKind? TryGetKind(string path)
    {
        const int AtFdCwd = -100;
        const int AtSymlinkNoFollow = 0x100;
        const uint TypeMask = 0x1; // STATX_TYPE
        const int ENoEnt = 2, ENotDir = 20;
        if (!IsSupported)
        {
            return null;
        }

        var buffer = stackalloc byte[256];
        try
        {
            if (Statx(AtFdCwd, path, AtSymlinkNoFollow, TypeMask, buffer) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                return errno is ENoEnt or ENotDir
                    ? FileKind.Missing
                    : throw new IOException($"Cannot read what '{path}' is (statx errno {errno}).");
            }
        }
        catch (EntryPointNotFoundException)
        {
            return null; // a libc older than 2.28
        }

        if ((*(uint*)buffer & TypeMask) == 0)
        {
            return null;
        }

        return (*(ushort*)(buffer + 28) & 0xF000) switch // stx_mode & S_IFMT
        {
            0xA000 => FileKind.SymbolicLink,
            0x4000 => FileKind.Directory,
            0x8000 => FileKind.File,
            _ => FileKind.Other,
        };
    }

    /// <summary>fsyncs a folder so that a rename or a new entry in it is durable. Throws <see cref="IOException"/> on failure.</summary>
    public static void FsyncDirectory(string path)
    {
        var fd = Open(path, ORdOnly | ODirectory | OCloExec);
        if (fd < 0)
        {
            throw new IOException($"Cannot open folder '{path}' to flush it to disk (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of folder '{path}' failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Creates a hard link; returns the errno on failure (0 on success).</summary>
    public static int TryCreateHardLink(string existingPath, string newPath)
        => Link(existingPath, newPath) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Hard-links <paramref name="sourcePath"/> to <paramref name="destination"/>, or copies it where a link cannot be made.</summary>
    public static void LinkOrCopy(string sourcePath, string destination)
    {
        // Any failure of link() (EXDEV across file systems, EPERM, EMLINK, no link support) falls back to a copy.
        if (!IsSupported || TryCreateHardLink(sourcePath, destination) != 0)
        {
            File.Copy(sourcePath, destination, overwrite: false);
        }
    }

    /// <summary>Reads up to <paramref name="maxBytes"/> from the start of a file without taking .NET's advisory lock.</summary>
    public static unsafe byte[]? TryReadPrefix(string path, int maxBytes)
    {
        var fd = Open(path, ORdOnly | OCloExec);
        if (fd < 0)
        {
            return null;
        }

        try
        {
            var buffer = new byte[maxBytes];
            fixed (byte* p = buffer)
            {
                var n = Read(fd, p, maxBytes);
                return n < 0 ? null : buffer.AsSpan(0, (int)n).ToArray();
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }
}

/// <summary>What a path names, as <c>lstat</c> sees it.</summary>
internal enum FileKind
{
    /// <summary>Nothing: the path or a folder on the way does not exist.</summary>
    Missing,

    /// <summary>A regular file.</summary>
    File,

    /// <summary>A folder.</summary>
    Directory,

    /// <summary>A symbolic link (never followed).</summary>
    SymbolicLink,

    /// <summary>A device, FIFO or socket.</summary>
    Other,
}

/// <summary>A file's identity: device (major, minor) and inode.</summary>
internal readonly record struct FileId(uint DeviceMajor, uint DeviceMinor, ulong Inode);

/// <summary>What statx says about a file: its identity, link count, size and modification time.</summary>
internal readonly record struct FileStamp(FileId Id, uint LinkCount, long Size, long ModifiedSeconds, uint ModifiedNanoseconds)
{
    /// <summary>Size and modification time: what changes when the content does.</summary>
    public (long Size, long Seconds, uint Nanoseconds) Version => (Size, ModifiedSeconds, ModifiedNanoseconds);
}
