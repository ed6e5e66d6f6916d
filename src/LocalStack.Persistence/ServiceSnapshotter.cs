using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence;

/// <summary>
/// Saves, loads and resets one provider against an <see cref="ISnapshotStore"/>: capture, write, commit of the asset
/// generation, pruning of old generations, lifecycle hooks. It does not hold any gate: the caller (the snapshot
/// manager, or a test) decides what runs concurrently with <c>CaptureAsync</c>.
/// </summary>
public sealed class ServiceSnapshotter
{
    /// <summary>Creates a snapshotter.</summary>
    /// <param name="store">Where snapshots are kept.</param>
    /// <param name="hooks">Hooks run for every service, in order, besides the provider's own.</param>
    public ServiceSnapshotter(ISnapshotStore store, IEnumerable<IStateLifecycleHook>? hooks = null)
    {
        throw new NotImplementedException();
    }
}
