using System.Globalization;
using System.Text;
using LocalStack.Persistence.Storage.Internal;

namespace LocalStack.Persistence.Storage;

/// <summary>
/// The state folder's <c>.lock</c>: one process (and one store) per state folder.
/// </summary>
/// <remarks>
/// The file is opened with <see cref="FileShare.None"/>. On Windows that is a sharing lock; on Unix .NET takes
/// <c>flock(LOCK_EX | LOCK_NB)</c>, which conflicts between two opens even inside one process and which the kernel
/// releases when the process dies, so a <c>.lock</c> left by a SIGKILLed process does not prevent the next start.
/// The holder writes its process id into the file for the error message of the next one. The file itself is never
/// deleted: deleting it would let a third process lock a new file while the second still holds the old one.
/// On a read-only file system (a volume mounted read-only) the file cannot be opened for writing: it is opened for
/// reading with the same exclusive lock instead (flock works on a read-only descriptor), no process id is written,
/// and <see cref="IsReadOnlyFileSystem"/> tells the store that nothing can be written there (loads still work). A
/// read-only folder without a <c>.lock</c> is used without one: no process can write through that mount either.
/// </remarks>
internal sealed class StateDirectoryLock : IDisposable
{
    private const int MaxPidBytes = 32;

    // A new holder truncates the file before it writes its id; give it about half a second before reporting "unknown".
    private const int PidReadAttempts = 50;
    private const int PidReadPauseMilliseconds = 10;

    private readonly FileStream? _file;
    private int _disposed;

    private StateDirectoryLock(FileStream? file, bool readOnlyFileSystem)
    {
        _file = file;
        IsReadOnlyFileSystem = readOnlyFileSystem;
    }

    /// <summary>Whether the state folder is on a read-only file system: loads work, every write fails.</summary>
    public bool IsReadOnlyFileSystem { get; }

    /// <summary>Takes the lock of <paramref name="stateDirectory"/> or throws <see cref="StateDirectoryLockedException"/> at once.</summary>
    public static StateDirectoryLock Acquire(string stateDirectory, string lockFile)
    {
        // The holder truncates and writes the file: a planted link would make it clobber whatever it points to.
        if (StateLayout.IsLink(lockFile))
        {
            throw new SnapshotException($"'{lockFile}' is a symbolic link (or another reparse point); it is not followed. Remove it.");
        }

        FileStream file;
        try
        {
            file = new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        }
        catch (IOException ex) when (IsSharingViolation(ex))
        {
            throw new StateDirectoryLockedException(stateDirectory, ReadHolderProcessId(lockFile), ex);
        }
        catch (IOException ex) when (IsReadOnlyFileSystemError(ex))
        {
            return AcquireReadOnly(stateDirectory, lockFile);
        }

        try
        {
            var pid = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
            file.SetLength(0);
            file.Write(pid);
            file.Flush(flushToDisk: true);
            return new StateDirectoryLock(file, readOnlyFileSystem: false);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_file is null)
        {
            return;
        }

        try
        {
            // A stale id would name a process that no longer holds the folder.
            if (!IsReadOnlyFileSystem)
            {
                _file.SetLength(0);
            }
        }
        catch (IOException)
        {
        }
        finally
        {
            _file.Dispose();
        }
    }

    private static StateDirectoryLock AcquireReadOnly(string stateDirectory, string lockFile)
    {
        try
        {
            return new StateDirectoryLock(new FileStream(lockFile, FileMode.Open, FileAccess.Read, FileShare.None, bufferSize: 0), readOnlyFileSystem: true);
        }
        catch (IOException ex) when (IsSharingViolation(ex))
        {
            throw new StateDirectoryLockedException(stateDirectory, ReadHolderProcessId(lockFile), ex);
        }
        catch (FileNotFoundException)
        {
            return new StateDirectoryLock(null, readOnlyFileSystem: true);
        }
    }

    private static bool IsReadOnlyFileSystemError(IOException ex)
    {
        const int ErofsUnix = 30;
        const int ErrorWriteProtect = unchecked((int)0x80070013);
        return ex.GetType() == typeof(IOException) && ex.HResult is ErofsUnix or ErrorWriteProtect;
    }

    private static bool IsSharingViolation(IOException ex)
    {
        const int EWouldBlockLinux = 11;
        const int EWouldBlockMac = 35;
        const int ErrorSharingViolation = unchecked((int)0x80070020);
        const int ErrorLockViolation = unchecked((int)0x80070021);
        return ex.GetType() == typeof(IOException)
            && ex.HResult is EWouldBlockLinux or EWouldBlockMac or ErrorSharingViolation or ErrorLockViolation;
    }

    private static int? ReadHolderProcessId(string lockFile)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (TryReadProcessId(lockFile) is { } pid)
            {
                return pid;
            }

            if (attempt == PidReadAttempts)
            {
                return null;
            }

            Thread.Sleep(PidReadPauseMilliseconds);
        }
    }

    private static int? TryReadProcessId(string lockFile)
    {
        byte[]? bytes;
        if (LinuxNative.IsSupported)
        {
            // .NET's own read would take flock(LOCK_SH) and fail against the holder's LOCK_EX.
            bytes = LinuxNative.TryReadPrefix(lockFile, MaxPidBytes);
        }
        else
        {
            try
            {
                using var stream = new FileStream(lockFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                var buffer = new byte[MaxPidBytes];
                bytes = buffer.AsSpan(0, stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false)).ToArray();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                bytes = null;
            }
        }

        if (bytes is null)
        {
            return null;
        }

        var text = Encoding.ASCII.GetString(bytes);
        var end = text.IndexOf('\n', StringComparison.Ordinal);
        return end > 0 && int.TryParse(text.AsSpan(0, end), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? id : null;
    }
}
