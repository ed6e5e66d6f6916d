using System.Globalization;
using LocalStack.Persistence.Storage.Internal;
using Microsoft.Win32.SafeHandles;

namespace LocalStack.Persistence.Storage;

/// <summary>Keeping the bytes of a damaged snapshot for the operator.</summary>
public sealed partial class FileSystemSnapshotStore
{
    private const int CopyBufferSize = 64 * 1024;

    /// <summary>
    /// Copies the damaged snapshot to <c>store.state.corrupt-&lt;time&gt;</c> unless a copy with the same bytes exists
    /// (so retries of a faulted load do not pile up copies) and returns the error to throw, naming the copy.
    /// <c>store.state</c> itself stays: removing it would let the service start empty and later overwrite the evidence.
    /// </summary>
    private async ValueTask<SnapshotCorruptException> PreserveCorruptSnapshotAsync(string serviceName, SafeFileHandle evidence, SnapshotCorruptException error, CancellationToken cancellationToken)
    {
        var folder = _layout.ServiceStateDirectory(serviceName);
        var fileLock = FileLockOf(serviceName);
        await fileLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var copyPath = FindIdenticalCopy(folder, evidence) ?? await CopyAsync(folder, evidence, cancellationToken).ConfigureAwait(false);
            return new SnapshotCorruptException(error.Path, error.Reason, error) { PreservedCopyPath = copyPath };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new SnapshotCorruptException(error.Path, $"{error.Reason} Its bytes could not be copied aside: {ex.Message}", error);
        }
        finally
        {
            fileLock.Release();
        }
    }

    private static string? FindIdenticalCopy(string folder, SafeFileHandle evidence)
    {
        var length = RandomAccess.GetLength(evidence);
        foreach (var candidate in new DirectoryInfo(folder).EnumerateFiles(StateLayout.CorruptCopyPrefix + "*"))
        {
            if (!StateLayout.IsCorruptCopyName(candidate.Name) || candidate.LinkTarget is not null || candidate.Length != length)
            {
                continue;
            }

            using var copy = File.OpenHandle(candidate.FullName, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            if (SameContent(evidence, copy, length))
            {
                return candidate.FullName;
            }
        }

        return null;
    }

    private static bool SameContent(SafeFileHandle a, SafeFileHandle b, long length)
    {
        var bufferA = new byte[CopyBufferSize];
        var bufferB = new byte[CopyBufferSize];
        for (long offset = 0; offset < length;)
        {
            var n = RandomAccess.Read(a, bufferA, offset);
            if (n == 0 || ReadExactly(b, bufferB.AsSpan(0, n), offset) != n || !bufferA.AsSpan(0, n).SequenceEqual(bufferB.AsSpan(0, n)))
            {
                return false;
            }

            offset += n;
        }

        return true;
    }

    private static int ReadExactly(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = RandomAccess.Read(file, buffer[total..], offset + total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    private async ValueTask<string> CopyAsync(string folder, SafeFileHandle evidence, CancellationToken cancellationToken)
    {
        var stamp = _timeProvider.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture);
        var copyPath = Path.Combine(folder, StateLayout.CorruptCopyPrefix + stamp);
        for (var n = 2; File.Exists(copyPath) || StateLayout.IsLink(copyPath); n++)
        {
            copyPath = Path.Combine(folder, $"{StateLayout.CorruptCopyPrefix}{stamp}-{n.ToString(CultureInfo.InvariantCulture)}");
        }

        await _writer.WriteAsync(
            copyPath,
            async (file, ct) =>
            {
                var buffer = new byte[CopyBufferSize];
                long offset = 0;
                int read;
                while ((read = await RandomAccess.ReadAsync(evidence, buffer, offset, ct).ConfigureAwait(false)) > 0)
                {
                    await file.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                    offset += read;
                }

                return offset;
            },
            cancellationToken).ConfigureAwait(false);
        return copyPath;
    }
}
