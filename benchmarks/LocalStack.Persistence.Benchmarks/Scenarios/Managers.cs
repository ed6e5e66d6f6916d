using LocalStack.Persistence.Coordination;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Strategies;

namespace LocalStack.Persistence.Benchmarks.Scenarios;

/// <summary>Builds a store and a manager on a folder, like the hosted service does.</summary>
internal static class Managers
{
    /// <summary>Opens the store in <paramref name="stateDirectory"/> and a manager over <paramref name="providers"/>.</summary>
    public static (FileSystemSnapshotStore Store, SnapshotManager Manager) Create(string stateDirectory, IEnumerable<IServiceStateProvider> providers, ISaveStrategy saveStrategy)
    {
        var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = stateDirectory });
        return (store, new SnapshotManager(providers, store, saveStrategy, new ManualLoadStrategy()));
    }

    /// <summary>
    /// The service's delta chain, read from outside the snapshotter's slot while a compaction may be removing the
    /// deltas it folded: the store lists the delta files and then reads their lengths, and a file removed in between
    /// throws; read again then (the library's own callers hold the slot or the file lock and never see that).
    /// </summary>
    public static FileSystemSnapshotStore.ChainStats ChainStats(FileSystemSnapshotStore store, string serviceName)
    {
        while (true)
        {
            try
            {
                return store.GetChainStats(serviceName);
            }
            catch (FileNotFoundException)
            {
                // A folded delta was removed while it was being listed.
            }
        }
    }
}
