using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Storage.Internal;

namespace LocalStack.Persistence.CrashChild;

/// <summary>
/// Broken versions of the store's write path for the power-loss harness (proof that it can fail). Selected by the
/// crash child's optional last argument only: a decorator of the store's internal file-system seam, never reachable from
/// the library's configuration.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term><c>no-file-fsync</c></term><description>The temp file (and staged assets) are written to the kernel, never fsynced.</description></item>
/// <item><term><c>no-folder-fsync</c></term><description>No folder is ever fsynced: not after the rename, not after a mkdir.</description></item>
/// <item><term><c>rename-before-fsync</c></term><description>The temp file is renamed over the target first and fsynced after.</description></item>
/// <item><term><c>in-place</c></term><description><c>store.state</c> itself is truncated and rewritten (then fsynced); no temp file, no rename.</description></item>
/// </list>
/// </remarks>
internal sealed class WriterMutant : IStoreFileSystem
{
    public static readonly string[] Names = ["no-file-fsync", "no-folder-fsync", "rename-before-fsync", "in-place"];

    private static readonly IStoreFileSystem Real = StoreFileSystem.Instance;
    private readonly string _name;

    private WriterMutant(string name) => _name = name;

    /// <summary>Opens a store on <paramref name="stateDirectory"/>, with the mutant's write path when <paramref name="mutant"/> is given.</summary>
    public static FileSystemSnapshotStore OpenStore(string stateDirectory, string? mutant)
    {
        var options = new FileSystemSnapshotStoreOptions { StateDirectory = stateDirectory };
        if (mutant is null)
        {
            return new FileSystemSnapshotStore(options);
        }

        return Array.IndexOf(Names, mutant) >= 0
            ? new FileSystemSnapshotStore(options, null, new WriterMutant(mutant))
            : throw new ArgumentException($"unknown mutant '{mutant}'; known: {string.Join(", ", Names)}", nameof(mutant));
    }

    public FileStream CreateNewFile(string path)
        => _name == "in-place" && TargetOf(path) is { } target
            ? new FileStream(target, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024)
            : Real.CreateNewFile(path);

    public void FlushToDisk(FileStream file)
    {
        if (_name is "no-file-fsync" or "rename-before-fsync")
        {
            file.Flush(flushToDisk: false);
        }
        else
        {
            Real.FlushToDisk(file);
        }
    }

    public void FlushFileToDisk(string path)
    {
        if (_name != "no-file-fsync")
        {
            Real.FlushFileToDisk(path);
        }
    }

    public void Move(string source, string destination)
    {
        if (_name == "in-place" && TargetOf(source) is not null)
        {
            return; // the data went straight into the target
        }

        Real.Move(source, destination);
        if (_name == "rename-before-fsync")
        {
            Real.FlushFileToDisk(destination);
        }
    }

    public void FlushDirectory(string path)
    {
        if (_name != "no-folder-fsync")
        {
            Real.FlushDirectory(path);
        }
    }

    public void DeleteFile(string path) => Real.DeleteFile(path);

    public void CreateDirectory(string path) => Real.CreateDirectory(path);

    public void DeleteDirectory(string path) => Real.DeleteDirectory(path);

    /// <summary>The target of a temp path <c>&lt;target&gt;.&lt;random&gt;.tmp</c> (see AtomicFileWriter.TempPathFor), else null.</summary>
    private static string? TargetOf(string path)
    {
        if (!path.EndsWith(StateLayout.TempSuffix, StringComparison.Ordinal))
        {
            return null;
        }

        var withoutSuffix = path[..^StateLayout.TempSuffix.Length];
        var dot = withoutSuffix.LastIndexOf('.');
        return dot > 0 ? withoutSuffix[..dot] : null;
    }
}
