namespace LocalStack.Persistence.Storage.Internal;

/// <summary>The real file system.</summary>
internal sealed class StoreFileSystem : IStoreFileSystem
{
    private const int BufferSize = 64 * 1024;

    public static StoreFileSystem Instance { get; } = new();

    private StoreFileSystem()
    {
    }

    public FileStream CreateNewFile(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.CreateNew,
        Access = FileAccess.ReadWrite,
        Share = FileShare.None,
        BufferSize = BufferSize,
    });

    public void FlushToDisk(FileStream file) => file.Flush(flushToDisk: true);

    public void FlushFileToDisk(string path)
    {
        // fsync works on a read-only descriptor on Linux; Windows' FlushFileBuffers needs write access.
        var access = OperatingSystem.IsWindows() ? FileAccess.ReadWrite : FileAccess.Read;
        using var handle = File.OpenHandle(path, FileMode.Open, access, FileShare.ReadWrite | FileShare.Delete);
        RandomAccess.FlushToDisk(handle);
    }

    public void Move(string source, string destination) => File.Move(source, destination, overwrite: true);

    public void FlushDirectory(string path)
    {
        // Only POSIX lets a process fsync a folder; on Windows (NTFS journals metadata) this is best effort: nothing.
        if (LinuxNative.IsSupported)
        {
            LinuxNative.FsyncDirectory(path);
        }
    }

    public void DeleteFile(string path) => File.Delete(path);

    public void CreateDirectory(string path) => Directory.CreateDirectory(path);

    public void DeleteDirectory(string path)
    {
        // Directory.Delete removes a symbolic link itself instead of what it points to, at any depth.
        if (Directory.Exists(path) || new DirectoryInfo(path).LinkTarget is not null)
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
