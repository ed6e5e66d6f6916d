using System.Text.Json;
using System.Text.Json.Nodes;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Testing;

/// <summary>
/// Checks for the author of an <see cref="IServiceStateProvider"/>, from any test framework: each saves, resets and loads
/// the provider through a <see cref="ServiceSnapshotter"/> and a <see cref="FileSystemSnapshotStore"/> in a temporary
/// folder it creates and removes, and throws <see cref="PersistenceCheckException"/> saying what differed.
/// </summary>
/// <remarks>
/// Give the checks a provider that holds state (a few items of every kind the service persists, assets included): a
/// check of an empty provider proves little, and <see cref="ResetLeavesNothingAsync"/> refuses one. The checks change
/// the provider's state; build a new one for each check (<see cref="All"/> does).
/// </remarks>
public static class ProviderChecks
{
    /// <summary>The name of <see cref="CaptureRestoreCaptureAsync"/>.</summary>
    public const string CaptureRestoreCaptureName = "Save_reset_load_and_save_again_stores_the_same_snapshot";

    /// <summary>The name of <see cref="ResetLeavesNothingAsync"/>.</summary>
    public const string ResetLeavesNothingName = "Reset_leaves_what_a_fresh_provider_has";

    /// <summary>The name of <see cref="HostilePayloadsAsync"/>.</summary>
    public const string HostilePayloadsName = "Hostile_payloads_are_refused_with_a_snapshot_error_or_served_correctly";

    /// <summary>
    /// Capture → restore → capture: saves the provider, resets it, loads the save and saves again; the two saves must
    /// store the same payload (as JSON, member order aside, when both parse; otherwise byte for byte) and the same asset
    /// files. With <paramref name="createEmpty"/>, the save is also loaded into a freshly constructed provider (a
    /// restart) whose save must store the same. The failure shows the first difference (a JSON path, or an asset's
    /// name, size and hash).
    /// </summary>
    /// <param name="provider">The provider, holding state.</param>
    /// <param name="createEmpty">Creates a new, empty provider of the same service, with working files of its own; disposed after use when disposable. <see langword="null"/> skips the restart.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public static Task CaptureRestoreCaptureAsync(IServiceStateProvider provider, Func<IServiceStateProvider>? createEmpty = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return PersistenceCheck.RunNamedAsync(CaptureRestoreCaptureName, async () =>
        {
            var harness = ProviderHarness.Create();
            await using (harness.ConfigureAwait(false))
            {
                var saved = await harness.RoundTripAsync(provider, cancellationToken).ConfigureAwait(false);
                if (createEmpty is null)
                {
                    return;
                }

                var fresh = CreateEmpty(createEmpty, provider);
                try
                {
                    await harness.LoadAsync(fresh, "the load into a fresh provider", cancellationToken).ConfigureAwait(false);
                    var restarted = await harness.SaveAsync(fresh, "the save of the fresh provider after its load", cancellationToken).ConfigureAwait(false);
                    if (StoredSnapshot.FirstDifference(saved, restarted) is { } difference)
                    {
                        throw Expect.Failure($"a fresh provider that loaded the save stores something else (generation {saved.Metadata.Generation} vs {restarted.Metadata.Generation}), {difference}.");
                    }
                }
                finally
                {
                    await StoreData.DisposeAsync(fresh).ConfigureAwait(false);
                }
            }
        }, cancellationToken);
    }

    /// <summary>
    /// Reset leaves nothing: after a reset, a save of the provider stores what a save of a freshly constructed one stores
    /// (the same payload, and no asset file the fresh one does not have).
    /// </summary>
    /// <param name="provider">The provider, holding state (a provider whose save equals a fresh one's fails: the check would prove nothing).</param>
    /// <param name="createEmpty">Creates a new, empty provider of the same service, with working files of its own; disposed after use when disposable.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public static Task ResetLeavesNothingAsync(IServiceStateProvider provider, Func<IServiceStateProvider> createEmpty, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(createEmpty);
        return PersistenceCheck.RunNamedAsync(ResetLeavesNothingName, async () =>
        {
            StoredSnapshot fresh;
            var freshHarness = ProviderHarness.Create();
            await using (freshHarness.ConfigureAwait(false))
            {
                var empty = CreateEmpty(createEmpty, provider);
                try
                {
                    fresh = await freshHarness.SaveAsync(empty, "the save of a fresh provider", cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    await StoreData.DisposeAsync(empty).ConfigureAwait(false);
                }
            }

            var harness = ProviderHarness.Create();
            await using (harness.ConfigureAwait(false))
            {
                var before = await harness.SaveAsync(provider, "the save before the reset", cancellationToken).ConfigureAwait(false);
                if (StoredSnapshot.FirstDifference(fresh, before) is null)
                {
                    throw Expect.Failure($"the provider of service '{provider.ServiceName}' given to the check holds no state: its save equals a fresh provider's. Put state in it first, or the check proves nothing.");
                }

                await harness.ResetAsync(provider, "the reset", cancellationToken).ConfigureAwait(false);
                var after = await harness.SaveAsync(provider, "the save after the reset", cancellationToken).ConfigureAwait(false);
                if (StoredSnapshot.FirstDifference(fresh, after) is { } difference)
                {
                    throw Expect.Failure($"after a reset, service '{provider.ServiceName}' saves something other than a fresh provider does, {difference}.");
                }
            }
        }, cancellationToken);
    }

    /// <summary>
    /// Hostile payloads: saves the provider, then feeds <see cref="HostilePayloadOptions.Cases"/> mutations of its
    /// payload (<see cref="PayloadMutator"/>, seeded) with the same asset files to a fresh provider's restore. Each must
    /// either be refused with a <see cref="SnapshotException"/> (<see cref="SnapshotCorruptException"/>,
    /// <see cref="SnapshotVersionException"/>, ...), or be served correctly: the restore succeeds and a following save,
    /// reset, load and save store the same snapshot twice. Any other exception fails the check, naming the seed and the
    /// mutation; every case runs, and the failure lists them all.
    /// </summary>
    /// <param name="provider">The provider, holding state; its payload must be JSON.</param>
    /// <param name="createEmpty">Creates a new, empty provider of the same service, with working files of its own; disposed after use when disposable.</param>
    /// <param name="options">The seed, the number of cases and the huge string's length; the defaults when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>How many payloads were refused and how many served, when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public static async Task<HostilePayloadSummary> HostilePayloadsAsync(IServiceStateProvider provider, Func<IServiceStateProvider> createEmpty, HostilePayloadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(createEmpty);
        options ??= new HostilePayloadOptions();
        HostilePayloadSummary? summary = null;
        await PersistenceCheck.RunNamedAsync(HostilePayloadsName, async () =>
        {
            var serviceName = provider.ServiceName;
            var baselineHarness = ProviderHarness.Create();
            await using (baselineHarness.ConfigureAwait(false))
            {
                var valid = await baselineHarness.SaveAsync(provider, "the save of the valid state", cancellationToken).ConfigureAwait(false);
                JsonNode baseline;
                var keyed = KeyedPayloads.IsKeyedBase(valid.Payload);
                var blobRefs = new Dictionary<string, byte[][]>(StringComparer.Ordinal);
                try
                {
                    baseline = (keyed ? KeyedPayloads.ToJson(valid.Payload, valid.Metadata.Location, blobRefs) : JsonNode.Parse(valid.Payload))
                        ?? throw Expect.Failure($"the payload of service '{serviceName}' is JSON null; there is nothing to mutate.");
                }
                catch (JsonException e)
                {
                    throw Expect.Failure($"the payload of service '{serviceName}' is not JSON ({e.Message}); the hostile payloads are mutations of a JSON payload.", e);
                }

                var metadata = valid.Metadata;
                var assets = baselineHarness.Store.GetAssetGenerationDirectory(serviceName, metadata.Generation);
                var problems = new List<string>();
                int refused = 0, served = 0;
                for (var i = 0; i < options.Cases; i++)
                {
                    var seed = options.Seed + i;
                    var hostile = new PayloadMutator(new Random(seed), options.HugeStringBytes).Mutate(baseline);
                    if (keyed)
                    {
                        hostile = KeyedPayloads.ToPayload(hostile, blobRefs);
                    }

                    var outcome = await FeedAsync(serviceName, metadata, assets, Directory.Exists(baselineHarness.BlobsDirectory(serviceName)) ? baselineHarness.BlobsDirectory(serviceName) : null, hostile, createEmpty, provider, cancellationToken).ConfigureAwait(false);
                    if (outcome is null)
                    {
                        served++;
                    }
                    else if (outcome.Length == 0)
                    {
                        refused++;
                    }
                    else
                    {
                        problems.Add($"seed {seed} [{hostile.Description}]: {outcome}");
                    }
                }

                if (problems.Count > 0)
                {
                    throw Expect.Failure($"{problems.Count} of {options.Cases} hostile payloads of service '{serviceName}' were neither refused with a SnapshotException nor served correctly ({refused} refused, {served} served):\n" + string.Join("\n", problems));
                }

                summary = new HostilePayloadSummary(refused, served);
            }
        }, cancellationToken).ConfigureAwait(false);
        return summary!;
    }

    /// <summary>
    /// Every check as a <see cref="PersistenceCheck"/>, for a test framework's data source; each runs on a provider of
    /// its own from <paramref name="createWithState"/>, disposed afterwards when disposable.
    /// </summary>
    /// <param name="createWithState">Creates a provider holding state, with working files of its own.</param>
    /// <param name="createEmpty">Creates a new, empty provider of the same service, with working files of its own.</param>
    /// <param name="options">The options of <see cref="HostilePayloadsAsync"/>.</param>
    /// <returns>The checks, in a stable order.</returns>
    public static IReadOnlyList<PersistenceCheck> All(Func<IServiceStateProvider> createWithState, Func<IServiceStateProvider> createEmpty, HostilePayloadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(createWithState);
        ArgumentNullException.ThrowIfNull(createEmpty);
        return
        [
            Check(CaptureRestoreCaptureName, createWithState, (p, ct) => CaptureRestoreCaptureAsync(p, createEmpty, ct)),
            Check(ResetLeavesNothingName, createWithState, (p, ct) => ResetLeavesNothingAsync(p, createEmpty, ct)),
            Check(HostilePayloadsName, createWithState, (p, ct) => HostilePayloadsAsync(p, createEmpty, options, ct)),
        ];
    }

    /// <summary>Runs every check, each on a provider of its own, and reports which failed.</summary>
    /// <param name="createWithState">Creates a provider holding state, with working files of its own.</param>
    /// <param name="createEmpty">Creates a new, empty provider of the same service, with working files of its own.</param>
    /// <param name="options">The options of <see cref="HostilePayloadsAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The outcome of every check; call <see cref="PersistenceCheckReport.ThrowIfFailed"/> to fail a test.</returns>
    public static Task<PersistenceCheckReport> RunAllAsync(Func<IServiceStateProvider> createWithState, Func<IServiceStateProvider> createEmpty, HostilePayloadOptions? options = null, CancellationToken cancellationToken = default)
        => PersistenceCheckReport.RunAsync(All(createWithState, createEmpty, options), cancellationToken);

    /// <summary>Feeds one hostile payload to a fresh provider: <see langword="null"/> when served correctly, empty when refused, otherwise the problem.</summary>
    private static async Task<string?> FeedAsync(string serviceName, SnapshotMetadata valid, string? assets, string? blobs, HostilePayload hostile, Func<IServiceStateProvider> createEmpty, IServiceStateProvider original, CancellationToken cancellationToken)
    {
        var harness = ProviderHarness.Create();
        await using (harness.ConfigureAwait(false))
        {
            // The same generation and asset files as the valid save: only the payload is hostile.
            await harness.StageAssetsAsync(serviceName, valid.Generation, assets, cancellationToken).ConfigureAwait(false);
            if (blobs is not null)
            {
                ProviderHarness.CopyTree(blobs, harness.BlobsDirectory(serviceName), static _ => true);
            }

            await harness.Store.WriteAsync(new SnapshotWriteRequest(serviceName, valid.SchemaVersion, valid.Generation), (stream, ct) => stream.WriteAsync(hostile.Payload, ct), cancellationToken).ConfigureAwait(false);
            var fresh = CreateEmpty(createEmpty, original);
            try
            {
                try
                {
                    await harness.Snapshotter.LoadAsync(fresh, cancellationToken).ConfigureAwait(false);
                }
                catch (SnapshotException)
                {
                    return string.Empty;
                }
                catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
                {
                    return $"the restore threw {e.GetType().FullName} ({e.Message}); expected a SnapshotException (SnapshotCorruptException, SnapshotVersionException, ...) or success.";
                }

                try
                {
                    await harness.RoundTripAsync(fresh, cancellationToken).ConfigureAwait(false);
                    return null;
                }
                catch (PersistenceCheckException e)
                {
                    return $"the restore accepted it, but {e.Message}";
                }
            }
            finally
            {
                await StoreData.DisposeAsync(fresh).ConfigureAwait(false);
            }
        }
    }

    private static IServiceStateProvider CreateEmpty(Func<IServiceStateProvider> createEmpty, IServiceStateProvider original)
    {
        var empty = createEmpty() ?? throw Expect.Failure("the factory of empty providers returned null.");
        if (ReferenceEquals(empty, original))
        {
            throw Expect.Failure("the factory of empty providers returned the provider under test; it must construct a new one.");
        }

        if (empty.ServiceName != original.ServiceName)
        {
            throw Expect.Failure($"the factory of empty providers made one of service '{empty.ServiceName}', expected '{original.ServiceName}'.");
        }

        return empty;
    }

    /// <summary>A check run on a provider of its own, disposed afterwards; a failing factory fails the check, naming it.</summary>
    private static PersistenceCheck Check(string name, Func<IServiceStateProvider> create, Func<IServiceStateProvider, CancellationToken, Task> check)
        => new(name, ct => PersistenceCheck.RunNamedAsync(name, async () =>
        {
            var provider = create() ?? throw Expect.Failure("the factory of providers holding state returned null.");
            try
            {
                await check(provider, ct).ConfigureAwait(false);
            }
            finally
            {
                await StoreData.DisposeAsync(provider).ConfigureAwait(false);
            }
        }, ct));
}
