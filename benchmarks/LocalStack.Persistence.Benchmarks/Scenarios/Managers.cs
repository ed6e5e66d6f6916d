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
}
