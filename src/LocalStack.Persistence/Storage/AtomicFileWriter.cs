using System.Security.Cryptography;
using LocalStack.Persistence.Storage.Internal;

namespace LocalStack.Persistence.Storage;

/// <summary>
/// Replaces a file so that a reader (or the next process after a crash) sees either the old or the new complete file:
/// temp file in the same folder → write → flush to disk → rename over the target → fsync of the folder.
/// </summary>
/// <remarks>
/// On any failure before the rename (including cancellation and a failed fsync) the temp file is deleted and the
/// target is untouched. A failed fsync is never retried on the same file: after a failed fsync the kernel may have
/// dropped the dirty pages and a second fsync would report success for data that is gone (PostgreSQL's "fsyncgate").
/// A failure of the folder fsync after the rename is reported, but the rename cannot be undone.
/// </remarks>
internal sealed class AtomicFileWriter(IStoreFileSystem fileSystem)
{
    /// <summary>A fresh temp path beside <paramref name="targetPath"/>: <c>&lt;target&gt;.&lt;random&gt;.tmp</c>.</summary>
    public static string TempPathFor(string targetPath)
        => $"{targetPath}.{RandomNumberGenerator.GetHexString(32, lowercase: true)}{StateLayout.TempSuffix}";

    public async ValueTask<T> WriteAsync<T>(string targetPath, Func<FileStream, CancellationToken, ValueTask<T>> write, CancellationToken cancellationToken)
    {
        var prepared = await PrepareAsync(targetPath, write, cancellationToken).ConfigureAwait(false);
        try
        {
            // Last chance to give up: after the rename the new file is committed.
            cancellationToken.ThrowIfCancellationRequested();
            prepared.Commit();
            return prepared.Result;
        }
        finally
        {
            prepared.Discard();
        }
    }

    /// <summary>
    /// Writes and flushes the temp file without committing it: the caller commits it later (for example after taking
    /// a lock and checking that the target is still the one the content was derived from) or discards it.
    /// </summary>
    public async ValueTask<PreparedFile<T>> PrepareAsync<T>(string targetPath, Func<FileStream, CancellationToken, ValueTask<T>> write, CancellationToken cancellationToken)
    {
        var tempPath = TempPathFor(targetPath);
        var committed = false;
        try
        {
            var result = await WriteNewFileAsync(tempPath, write, cancellationToken).ConfigureAwait(false);
            committed = true;
            return new PreparedFile<T>(this, tempPath, targetPath, result);
        }
        finally
        {
            if (!committed)
            {
                TryDelete(tempPath);
            }
        }
    }

    /// <summary>
    /// Lets <paramref name="writeTemp"/> create a durable temp file beside <paramref name="targetPath"/> (written and
    /// fsynced, or a hard link to a durable file), renames it over the target and, when <paramref name="flushFolder"/>,
    /// fsyncs the folder. Without it the caller fsyncs the folder before relying on the new name (blobs batch that).
    /// </summary>
    public async ValueTask<T> ReplaceAsync<T>(string targetPath, Func<string, CancellationToken, ValueTask<T>> writeTemp, bool flushFolder, CancellationToken cancellationToken)
    {
        var tempPath = TempPathFor(targetPath);
        var renamed = false;
        try
        {
            var result = await writeTemp(tempPath, cancellationToken).ConfigureAwait(false);

            // Last chance to give up: after the rename the new file is committed.
            cancellationToken.ThrowIfCancellationRequested();
            fileSystem.Move(tempPath, targetPath);
            renamed = true;
            if (flushFolder)
            {
                fileSystem.FlushDirectory(Path.GetDirectoryName(targetPath)!);
            }

            return result;
        }
        finally
        {
            if (!renamed)
            {
                TryDelete(tempPath);
            }
        }
    }

    /// <summary>Creates <paramref name="path"/> (which must not exist), lets <paramref name="write"/> fill it and fsyncs it; on failure the file stays for the caller to delete.</summary>
    public async ValueTask<T> WriteNewFileAsync<T>(string path, Func<FileStream, CancellationToken, ValueTask<T>> write, CancellationToken cancellationToken)
    {
        T result;
        var file = fileSystem.CreateNewFile(path);
        try
        {
            result = await write(file, cancellationToken).ConfigureAwait(false);
            fileSystem.FlushToDisk(file);
        }
        catch
        {
            await DisposeQuietlyAsync(file).ConfigureAwait(false);
            throw;
        }

        await file.DisposeAsync().ConfigureAwait(false);
        return result;
    }

    /// <summary>A written, flushed temp file: <see cref="Commit"/> renames it over the target, <see cref="Discard"/> deletes it if not committed.</summary>
    internal sealed class PreparedFile<T>(AtomicFileWriter writer, string tempPath, string targetPath, T result)
    {
        private bool _renamed;

        public T Result => result;

        /// <summary>The commit point: rename over the target, then fsync of the folder (a failure of that fsync is reported; the rename stays).</summary>
        public void Commit()
        {
            writer.Rename(tempPath, targetPath);
            _renamed = true;
            writer.FlushFolderOf(targetPath);
        }

        public void Discard()
        {
            if (!_renamed)
            {
                writer.TryDelete(tempPath);
            }
        }
    }

    private void Rename(string tempPath, string targetPath) => fileSystem.Move(tempPath, targetPath);

    private void FlushFolderOf(string targetPath) => fileSystem.FlushDirectory(Path.GetDirectoryName(targetPath)!);

    private static async ValueTask DisposeQuietlyAsync(FileStream file)
    {
        try
        {
            // Disposing writes what is still buffered; after a failed write or fsync that fails the same way, and
            // the first error is the one to report.
            await file.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private void TryDelete(string tempPath)
    {
        try
        {
            fileSystem.DeleteFile(tempPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The original error matters more; a leftover temp file is removed at the next start-up.
        }
    }
}
