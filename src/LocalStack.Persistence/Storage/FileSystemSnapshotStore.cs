namespace LocalStack.Persistence.Storage;

/// <summary>
/// The crash-safe file-system <see cref="ISnapshotStore"/>: <c>api_states/&lt;service&gt;/store.state</c> replaced atomically,
/// <c>&lt;service&gt;/&lt;generation&gt;/</c> asset folders, and <c>.lock</c> so that one process owns the folder.
/// </summary>
public sealed partial class FileSystemSnapshotStore
{
}
