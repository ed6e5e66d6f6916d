using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Testing;

/// <summary>
/// A <see cref="FileSystemSnapshotStore"/> in a temporary folder of its own and a <see cref="ServiceSnapshotter"/> on it;
/// disposing removes both. Each operation reports a failure of the provider as a check failure naming the step.
/// </summary>
internal sealed class ProviderHarness : IAsyncDisposable
{
    private readonly string _root;

    private ProviderHarness(string root, Action<string>? prepare)
    {
        _root = root;
        prepare?.Invoke(StateDirectory);
        Store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory });
        Snapshotter = new ServiceSnapshotter(Store);
    }

    /// <summary>The store's state folder (the layout of <c>LOCALSTACK_VOLUME_DIR/state</c>).</summary>
    public string StateDirectory => Path.Combine(_root, "state");

    public FileSystemSnapshotStore Store { get; }

    public ServiceSnapshotter Snapshotter { get; }

    /// <summary>Creates the harness; <paramref name="prepare"/> may fill the state folder before the store opens it.</summary>
    public static ProviderHarness Create(Action<string>? prepare = null) => new(StoreData.NewTempFolder(), prepare);

    /// <summary>Saves the provider and reads back what the save stored.</summary>
    public async Task<StoredSnapshot> SaveAsync(IServiceStateProvider provider, string step, CancellationToken cancellationToken)
    {
        await StepAsync(step, async () => await Snapshotter.SaveAsync(provider, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return await StoredSnapshot.ReadAsync(Store, provider.ServiceName, cancellationToken).ConfigureAwait(false);
    }

    public Task ResetAsync(IServiceStateProvider provider, string step, CancellationToken cancellationToken)
        => StepAsync(step, async () => await Snapshotter.ResetAsync(provider, cancellationToken).ConfigureAwait(false), cancellationToken);

    public Task LoadAsync(IServiceStateProvider provider, string step, CancellationToken cancellationToken)
        => StepAsync(step, async () =>
        {
            if (await Snapshotter.LoadAsync(provider, cancellationToken).ConfigureAwait(false) is null)
            {
                throw Expect.Failure($"{step}: the store holds no snapshot of service '{provider.ServiceName}'.");
            }
        }, cancellationToken);

    /// <summary>Save, reset, load, save: the two saves must store the same payload and asset files; returns the second.</summary>
    public async Task<StoredSnapshot> RoundTripAsync(IServiceStateProvider provider, CancellationToken cancellationToken)
    {
        var first = await SaveAsync(provider, "the first save", cancellationToken).ConfigureAwait(false);
        await ResetAsync(provider, "the reset after the first save", cancellationToken).ConfigureAwait(false);
        await LoadAsync(provider, "the load of the first save", cancellationToken).ConfigureAwait(false);
        var second = await SaveAsync(provider, "the save after the load", cancellationToken).ConfigureAwait(false);
        if (StoredSnapshot.FirstDifference(first, second) is { } difference)
        {
            throw Expect.Failure($"the snapshot saved after reset and load differs from the one saved before (generation {first.Metadata.Generation} vs {second.Metadata.Generation}), {difference}.");
        }

        return second;
    }

    /// <summary>Copies a committed generation's asset files into generation <paramref name="generation"/> of this store, flushed.</summary>
    public async Task StageAssetsAsync(string serviceName, long generation, string? sourceFolder, CancellationToken cancellationToken)
    {
        if (sourceFolder is null)
        {
            return;
        }

        var target = await Store.CreateAssetGenerationAsync(serviceName, generation, cancellationToken).ConfigureAwait(false);
        CopyTree(sourceFolder, target, static _ => true);
        await Store.FlushAssetGenerationAsync(serviceName, generation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The folder of the service's content-addressed blobs (it may not exist).</summary>
    public string BlobsDirectory(string serviceName) => Path.Combine(StateDirectory, serviceName, "blobs");

    public async ValueTask DisposeAsync()
    {
        Store.Dispose();
        StoreData.DeleteFolder(_root);
        await ValueTask.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>Copies the files under <paramref name="source"/> whose relative path <paramref name="include"/> accepts.</summary>
    public static void CopyTree(string source, string destination, Func<string, bool> include)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (include(relative))
            {
                var target = Path.Combine(destination, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }
    }

    private static async Task StepAsync(string step, Func<Task> body, CancellationToken cancellationToken)
    {
        try
        {
            await body().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not PersistenceCheckException && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw Expect.Failure($"{step} threw {e.GetType().Name}: {e.Message}", e);
        }
    }
}
