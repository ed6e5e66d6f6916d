namespace LocalStack.Persistence.Storage;

/// <summary>
/// The crash-safe file-system <see cref="ISnapshotStore"/>: <c>api_states/&lt;service&gt;/store.state</c> replaced atomically,
/// <c>&lt;service&gt;/&lt;generation&gt;/</c> asset folders, and <c>.lock</c> so that one process owns the folder.
/// </summary>
public sealed partial class FileSystemSnapshotStore : IDisposable
{
    /// <summary>Opens (and creates) the state folder, takes its lock and removes temp files left by a killed writer.</summary>
    /// <param name="options">Where and how to store snapshots.</param>
    /// <param name="timeProvider">The clock for snapshot timestamps; the system clock when <see langword="null"/>.</param>
    /// <exception cref="StateDirectoryLockedException">Another live process holds the state folder.</exception>
    public FileSystemSnapshotStore(FileSystemSnapshotStoreOptions options, TimeProvider? timeProvider = null)
    {
        throw new NotImplementedException();
    }

    /// <summary>Releases the state folder's lock.</summary>
    public void Dispose() => throw new NotImplementedException();
}
