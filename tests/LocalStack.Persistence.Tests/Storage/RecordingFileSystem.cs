using System.Collections.Concurrent;
using LocalStack.Persistence.Storage.Internal;

namespace LocalStack.Persistence.Tests.Storage;

/// <summary>One call the store made through its file-system seam.</summary>
internal sealed record FileSystemOperation(string Name, string Path, string? Destination = null)
{
    public override string ToString() => Destination is null ? $"{Name} {Path}" : $"{Name} {Path} -> {Destination}";
}

/// <summary>
/// The real file system, recording each crash-relevant call in order and failing the ones a test asks to fail
/// (the real call is not made then). Not a mock: every other call really happens on disk.
/// </summary>
internal sealed class RecordingFileSystem : IStoreFileSystem
{
    public const string CreateNewFileOp = "create";
    public const string FlushToDiskOp = "flush";
    public const string FlushFileToDiskOp = "flush-file";
    public const string MoveOp = "move";
    public const string FlushDirectoryOp = "fsync-dir";
    public const string DeleteFileOp = "delete";
    public const string CreateDirectoryOp = "mkdir";
    public const string DeleteDirectoryOp = "rmdir";

    private readonly IStoreFileSystem _inner = StoreFileSystem.Instance;
    private readonly ConcurrentQueue<FileSystemOperation> _operations = new();

    /// <summary>Returns the exception to throw instead of performing an operation, or null to perform it.</summary>
    public Func<FileSystemOperation, Exception?>? Fail { get; set; }

    public IReadOnlyList<FileSystemOperation> Operations => [.. _operations];

    public void Clear() => _operations.Clear();

    public FileStream CreateNewFile(string path)
    {
        Record(new(CreateNewFileOp, path));
        return _inner.CreateNewFile(path);
    }

    public void FlushToDisk(FileStream file)
    {
        Record(new(FlushToDiskOp, file.Name));
        _inner.FlushToDisk(file);
    }

    public void FlushFileToDisk(string path)
    {
        Record(new(FlushFileToDiskOp, path));
        _inner.FlushFileToDisk(path);
    }

    public void Move(string source, string destination)
    {
        Record(new(MoveOp, source, destination));
        _inner.Move(source, destination);
    }

    public void FlushDirectory(string path)
    {
        Record(new(FlushDirectoryOp, path));
        _inner.FlushDirectory(path);
    }

    public void DeleteFile(string path)
    {
        Record(new(DeleteFileOp, path));
        _inner.DeleteFile(path);
    }

    public void CreateDirectory(string path)
    {
        Record(new(CreateDirectoryOp, path));
        _inner.CreateDirectory(path);
    }

    public void DeleteDirectory(string path)
    {
        Record(new(DeleteDirectoryOp, path));
        _inner.DeleteDirectory(path);
    }

    private void Record(FileSystemOperation operation)
    {
        _operations.Enqueue(operation);
        if (Fail?.Invoke(operation) is { } error)
        {
            throw error;
        }
    }
}
