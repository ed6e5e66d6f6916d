namespace LocalStack.Persistence.Storage.Internal;

/// <summary>
/// The file-system calls of <see cref="FileSystemSnapshotStore"/> whose order and failure matter for crash safety:
/// creating and flushing the temp file, the rename that commits it, folder fsyncs and deletes. Tests wrap
/// <see cref="StoreFileSystem.Instance"/> to record the order of operations and inject failures (fsync, rename).
/// Reads (exists, enumerate, open for reading, link checks) go straight to <see cref="System.IO"/>.
/// </summary>
internal interface IStoreFileSystem
{
    /// <summary>Creates a file that must not exist yet, open for reading and writing, seekable, not shared.</summary>
    FileStream CreateNewFile(string path);

    /// <summary>Writes the buffered bytes of <paramref name="file"/> and fsyncs it. Never retried on failure.</summary>
    void FlushToDisk(FileStream file);

    /// <summary>fsyncs an existing, closed file (a staged asset).</summary>
    void FlushFileToDisk(string path);

    /// <summary>Renames <paramref name="source"/> to <paramref name="destination"/>, replacing it atomically.</summary>
    void Move(string source, string destination);

    /// <summary>fsyncs a folder so that renames, new and removed entries in it are durable (Linux; best effort elsewhere).</summary>
    void FlushDirectory(string path);

    /// <summary>Deletes a file; no error when it does not exist.</summary>
    void DeleteFile(string path);

    /// <summary>Creates one folder whose parent exists.</summary>
    void CreateDirectory(string path);

    /// <summary>Deletes a folder and everything in it, without following symbolic links.</summary>
    void DeleteDirectory(string path);
}
