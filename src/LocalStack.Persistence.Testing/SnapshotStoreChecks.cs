using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Testing;

/// <summary>
/// The contract of <see cref="ISnapshotStore"/>, as checks a store author runs against a new implementation from any
/// test framework. Each check creates a fresh, empty temporary root folder, a store on it (through the factory given to
/// the constructor), runs, then disposes the store and deletes the folder.
/// </summary>
/// <remarks>
/// One test per check: feed <see cref="All"/> to a data source (NUnit <c>TestCaseSource</c>, xUnit <c>MemberData</c>,
/// MSTest <c>DynamicData</c>) and call <see cref="PersistenceCheck.RunAsync"/>, so that a failure names its check; or call
/// <see cref="RunAllAsync"/> once and <see cref="PersistenceCheckReport.ThrowIfFailed"/>.
/// </remarks>
public sealed class SnapshotStoreChecks
{
    private static readonly int[] PayloadSizes = [0, 1, 4096, 3 * 1024 * 1024];
    private static readonly long[] GenerationsBelowOne = [0, -1, long.MinValue];

    // The public method of each check and its name (the sentence a test framework shows), in the order run.
    private static readonly KeyValuePair<string, string>[] Names =
    [
        new(nameof(MissingSnapshotIsNothingAsync), "A_service_without_a_snapshot_has_nothing_to_read_list_or_delete"),
        new(nameof(PayloadRoundTripsAsync), "A_written_payload_reads_back_byte_for_byte"),
        new(nameof(MetadataDescribesWriteAsync), "The_metadata_describes_the_snapshot_written"),
        new(nameof(SecondWriteReplacesFirstAsync), "A_second_write_replaces_the_first"),
        new(nameof(ServicesAreSeparateAsync), "Services_are_stored_separately"),
        new(nameof(DeleteRemovesSnapshotAndAssetsAsync), "Delete_removes_the_snapshot_and_its_asset_generations_but_not_the_working_folder"),
        new(nameof(WriteAfterDeleteAsync), "A_service_can_be_written_again_after_delete"),
        new(nameof(ListIsOrderedByServiceAsync), "List_returns_every_snapshot_ordered_by_service_name"),
        new(nameof(NewerSchemaIsNotOverwrittenAsync), "A_newer_schema_is_not_overwritten_by_an_older_one_until_the_service_is_reset"),
        new(nameof(NewerSchemaMayReplaceOlderAsync), "A_newer_schema_may_replace_an_older_one"),
        new(nameof(CancelledWriteKeepsPreviousAsync), "Cancelling_a_write_midway_leaves_the_previous_snapshot"),
        new(nameof(WriteCancelledBeforeStartChangesNothingAsync), "A_write_cancelled_before_it_starts_changes_nothing"),
        new(nameof(FailingWriterKeepsPreviousAsync), "A_failing_payload_writer_leaves_the_previous_snapshot"),
        new(nameof(ConcurrentWritesLeaveOneVersionAsync), "Concurrent_writes_of_one_service_each_complete_and_leave_one_whole_version"),
        new(nameof(NewAssetGenerationIsEmptyAsync), "A_new_asset_generation_is_an_empty_folder_found_again_by_its_number"),
        new(nameof(RecreatedGenerationIsEmptiedAsync), "Creating_a_generation_again_discards_what_a_save_that_never_committed_staged"),
        new(nameof(FlushKeepsFilesAsync), "Flushing_a_generation_keeps_its_files"),
        new(nameof(PruneKeepsNamedGenerationAsync), "Pruning_keeps_only_the_named_generation_and_the_working_folder"),
        new(nameof(WorkingFolderIsStableAsync), "The_working_folder_is_stable_per_service_and_never_a_generation_folder"),
        new(nameof(GenerationsBelowOneAreRejectedAsync), "Generations_below_one_are_rejected"),
        new(nameof(HostileServiceNamesAreRejectedAsync), "Every_method_rejects_a_hostile_service_name"),
    ];

    private readonly Func<string, ISnapshotStore> _createStore;
    private readonly Func<ISnapshotStore, ValueTask> _destroyStore;

    /// <summary>Creates the checks of a store implementation.</summary>
    /// <param name="createStore">Creates the store under test on an empty root folder (the folder exists).</param>
    /// <param name="destroyStore">Releases a store made by <paramref name="createStore"/>; by default disposes it when it is disposable.</param>
    public SnapshotStoreChecks(Func<string, ISnapshotStore> createStore, Func<ISnapshotStore, ValueTask>? destroyStore = null)
    {
        ArgumentNullException.ThrowIfNull(createStore);
        _createStore = createStore;
        _destroyStore = destroyStore ?? (static store => StoreData.DisposeAsync(store));
        All = [.. Names.Select(n => new PersistenceCheck(n.Value, Method(n.Key)))];
    }

    /// <summary>
    /// Service names every method must reject with an <see cref="ArgumentException"/> before any storage call
    /// (reliability catalogue case 12): path climbing, absolute paths, separators, dot names, empty, NUL, 300 characters,
    /// Windows device names, upper case.
    /// </summary>
    public static IReadOnlyList<string> HostileServiceNames { get; } =
    [
        "../../etc", "/abs", "a/b", "a\\b", "..", ".", string.Empty, "s3\0", new string('a', 300), "CON", "con", "S3",
    ];

    /// <summary>Every check, in a stable order; each runs on its own fresh root folder and store.</summary>
    public IReadOnlyList<PersistenceCheck> All { get; }

    /// <summary>Runs every check, each on a fresh root folder, and reports which failed.</summary>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The outcome of every check; call <see cref="PersistenceCheckReport.ThrowIfFailed"/> to fail a test.</returns>
    public Task<PersistenceCheckReport> RunAllAsync(CancellationToken cancellationToken = default) => PersistenceCheckReport.RunAsync(All, cancellationToken);

    /// <summary>A service without a snapshot has nothing to read, list or delete.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task MissingSnapshotIsNothingAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(MissingSnapshotIsNothingAsync), async (store, ct) =>
    {
        Expect.Null(await store.OpenReadAsync("s3", ct).ConfigureAwait(false), "OpenReadAsync(\"s3\") on an empty store");
        Expect.Null(await store.GetMetadataAsync("s3", ct).ConfigureAwait(false), "GetMetadataAsync(\"s3\") on an empty store");
        Expect.SequenceEqual([], (await store.ListAllAsync(ct).ConfigureAwait(false)).Select(m => m.ServiceName), "ListAsync on an empty store");
        Expect.Equal(false, await store.DeleteAsync("s3", ct).ConfigureAwait(false), "DeleteAsync(\"s3\") on an empty store");
    }, cancellationToken);

    /// <summary>A written payload reads back byte for byte, for 0 bytes, 1 byte, 4 KiB and 3 MiB.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task PayloadRoundTripsAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(PayloadRoundTripsAsync), async (store, ct) =>
    {
        for (var i = 0; i < PayloadSizes.Length; i++)
        {
            var payload = StoreData.Json("round-trip", PayloadSizes[i]);
            await store.WriteAsync("s3", i + 1, payload, cancellationToken: ct).ConfigureAwait(false);
            Expect.SameBytes(payload, await store.ReadPayloadAsync("s3", ct).ConfigureAwait(false), $"the payload read back after writing {payload.Length} bytes");
        }
    }, cancellationToken);

    /// <summary>The metadata returned by a write, by <see cref="ISnapshotStore.GetMetadataAsync"/> and by the reader describe the snapshot written.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task MetadataDescribesWriteAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(MetadataDescribesWriteAsync), async (store, ct) =>
    {
        var payload = StoreData.Json("meta", 1000);
        var written = await store.WriteAsync("sqs", 7, payload, schemaVersion: 3, ct).ConfigureAwait(false);

        Expect.Equal("sqs", written.ServiceName, "the written metadata's ServiceName");
        Expect.Equal(3, written.SchemaVersion, "the written metadata's SchemaVersion");
        Expect.Equal(7L, written.Generation, "the written metadata's Generation");
        Expect.Equal((long)payload.Length, written.UncompressedLength, "the written metadata's UncompressedLength");
        Expect.True(written.FormatVersion > 0, $"the written metadata's FormatVersion: expected above 0, found {written.FormatVersion}.");
        Expect.True(written.FileLength >= written.StoredLength, $"the written metadata's FileLength: expected at least StoredLength {written.StoredLength}, found {written.FileLength}.");
        Expect.True(!string.IsNullOrEmpty(written.Location), "the written metadata's Location: expected a location, found an empty one.");
        Expect.SameSnapshot(await store.GetMetadataAsync("sqs", ct).ConfigureAwait(false), written, "GetMetadataAsync after the write");
        var reader = Expect.NotNull(await store.OpenReadAsync("sqs", ct).ConfigureAwait(false), "OpenReadAsync after the write");
        await using (reader.ConfigureAwait(false))
        {
            Expect.SameSnapshot(reader.Metadata, written, "the reader's Metadata after the write");
        }
    }, cancellationToken);

    /// <summary>A second write replaces the first: its payload and its metadata are read back.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task SecondWriteReplacesFirstAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(SecondWriteReplacesFirstAsync), async (store, ct) =>
    {
        await store.WriteAsync("s3", 1, StoreData.Json("first"), cancellationToken: ct).ConfigureAwait(false);
        var second = StoreData.Json("second", 5000);
        await store.WriteAsync("s3", 2, second, cancellationToken: ct).ConfigureAwait(false);

        Expect.SameBytes(second, await store.ReadPayloadAsync("s3", ct).ConfigureAwait(false), "the payload after a second write");
        Expect.Equal(2L, (await store.GetMetadataAsync("s3", ct).ConfigureAwait(false))?.Generation, "GetMetadataAsync's Generation after a second write of generation 2");
        Expect.Equal(2L, (await store.ListAllAsync(ct).ConfigureAwait(false)).SingleOrDefault()?.Generation, "ListAsync's Generation after a second write of generation 2");
    }, cancellationToken);

    /// <summary>Services are stored separately: deleting one leaves another.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task ServicesAreSeparateAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(ServicesAreSeparateAsync), async (store, ct) =>
    {
        var sqs = StoreData.Json("sqs");
        await store.WriteAsync("s3", 1, StoreData.Json("s3"), cancellationToken: ct).ConfigureAwait(false);
        await store.WriteAsync("sqs", 4, sqs, cancellationToken: ct).ConfigureAwait(false);
        await store.DeleteAsync("s3", ct).ConfigureAwait(false);

        Expect.Null(await store.ReadPayloadAsync("s3", ct).ConfigureAwait(false), "the s3 payload after deleting s3");
        Expect.SameBytes(sqs, await store.ReadPayloadAsync("sqs", ct).ConfigureAwait(false), "the sqs payload after deleting s3");
    }, cancellationToken);

    /// <summary>Delete removes the snapshot and its asset generations but not the working folder.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task DeleteRemovesSnapshotAndAssetsAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(DeleteRemovesSnapshotAndAssetsAsync), async (store, ct) =>
    {
        var staged = await store.CreateAssetGenerationAsync("s3", 1, ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(staged, "bucket.db"), "assets", ct).ConfigureAwait(false);
        await store.FlushAssetGenerationAsync("s3", 1, ct).ConfigureAwait(false);
        await store.WriteAsync("s3", 1, StoreData.Json("doomed"), cancellationToken: ct).ConfigureAwait(false);
        var working = store.GetWorkingDirectory("s3");
        await File.WriteAllTextAsync(Path.Combine(working, "live.db"), "live", ct).ConfigureAwait(false);

        Expect.Equal(true, await store.DeleteAsync("s3", ct).ConfigureAwait(false), "DeleteAsync of a stored snapshot");
        Expect.Null(await store.OpenReadAsync("s3", ct).ConfigureAwait(false), "OpenReadAsync after DeleteAsync");
        Expect.Null(await store.GetMetadataAsync("s3", ct).ConfigureAwait(false), "GetMetadataAsync after DeleteAsync");
        Expect.Null(store.GetAssetGenerationDirectory("s3", 1), "the asset generation 1 after DeleteAsync");
        var live = Path.Combine(store.GetWorkingDirectory("s3"), "live.db");
        Expect.Equal("live", File.Exists(live) ? await File.ReadAllTextAsync(live, ct).ConfigureAwait(false) : null, "the working folder's file after DeleteAsync");
        Expect.Equal(false, await store.DeleteAsync("s3", ct).ConfigureAwait(false), "a second DeleteAsync");
    }, cancellationToken);

    /// <summary>A service can be written again after delete, with a lower schema version and generation.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task WriteAfterDeleteAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(WriteAfterDeleteAsync), async (store, ct) =>
    {
        await store.WriteAsync("s3", 5, StoreData.Json("old"), schemaVersion: 9, ct).ConfigureAwait(false);
        await store.DeleteAsync("s3", ct).ConfigureAwait(false);
        var fresh = StoreData.Json("fresh");
        await store.WriteAsync("s3", 1, fresh, schemaVersion: 1, ct).ConfigureAwait(false);

        Expect.SameBytes(fresh, await store.ReadPayloadAsync("s3", ct).ConfigureAwait(false), "the payload written after a delete");
    }, cancellationToken);

    /// <summary>List returns every snapshot, ordered by service name, with the metadata of each write.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task ListIsOrderedByServiceAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(ListIsOrderedByServiceAsync), async (store, ct) =>
    {
        var written = new Dictionary<string, SnapshotMetadata>(StringComparer.Ordinal);
        foreach (var (name, generation) in new[] { ("sqs", 3L), ("dynamodb", 1L), ("s3", 2L) })
        {
            written[name] = await store.WriteAsync(name, generation, StoreData.Json(name), cancellationToken: ct).ConfigureAwait(false);
        }

        var listed = await store.ListAllAsync(ct).ConfigureAwait(false);
        Expect.SequenceEqual(["dynamodb", "s3", "sqs"], listed.Select(m => m.ServiceName), "the services ListAsync returns");
        foreach (var metadata in listed)
        {
            Expect.SameSnapshot(metadata, written[metadata.ServiceName], $"the listed metadata of {metadata.ServiceName}");
        }
    }, cancellationToken);

    /// <summary>A newer schema is not overwritten by an older one until the service is deleted (reset).</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task NewerSchemaIsNotOverwrittenAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(NewerSchemaIsNotOverwrittenAsync), async (store, ct) =>
    {
        var newer = StoreData.Json("newer");
        await store.WriteAsync("s3", 1, newer, schemaVersion: 5, ct).ConfigureAwait(false);

        var error = await Expect.ThrowsAsync<SnapshotVersionException>(async () => await store.WriteAsync("s3", 2, StoreData.Json("older"), schemaVersion: 3, ct).ConfigureAwait(false), "a write of schema version 3 over schema version 5").ConfigureAwait(false);
        Expect.Equal("schema", error.Kind, "the refusal's Kind");
        Expect.Equal(5, error.FoundVersion, "the refusal's FoundVersion");
        Expect.SameBytes(newer, await store.ReadPayloadAsync("s3", ct).ConfigureAwait(false), "the payload after the refused write");
        Expect.Equal(5, (await store.GetMetadataAsync("s3", ct).ConfigureAwait(false))?.SchemaVersion, "the SchemaVersion after the refused write");

        await store.DeleteAsync("s3", ct).ConfigureAwait(false);
        await store.WriteAsync("s3", 1, StoreData.Json("older"), schemaVersion: 3, ct).ConfigureAwait(false);
        Expect.Equal(3, (await store.GetMetadataAsync("s3", ct).ConfigureAwait(false))?.SchemaVersion, "the SchemaVersion written after a delete");
    }, cancellationToken);

    /// <summary>A newer schema may replace an older one.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task NewerSchemaMayReplaceOlderAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(NewerSchemaMayReplaceOlderAsync), async (store, ct) =>
    {
        await store.WriteAsync("s3", 1, StoreData.Json("v2"), schemaVersion: 2, ct).ConfigureAwait(false);
        await store.WriteAsync("s3", 2, StoreData.Json("v3"), schemaVersion: 3, ct).ConfigureAwait(false);

        Expect.Equal(3, (await store.GetMetadataAsync("s3", ct).ConfigureAwait(false))?.SchemaVersion, "the SchemaVersion after writing version 3 over version 2");
    }, cancellationToken);

    /// <summary>Cancelling a write midway leaves the previous snapshot.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task CancelledWriteKeepsPreviousAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(CancelledWriteKeepsPreviousAsync), async (store, ct) =>
    {
        var previous = StoreData.Json("previous");
        await store.WriteAsync("s3", 1, previous, cancellationToken: ct).ConfigureAwait(false);
        using var cancellation = new CancellationTokenSource();

        await Expect.ThrowsAsync<OperationCanceledException>(async () => await store.WriteAsync(
            new SnapshotWriteRequest("s3", 1, 2),
            async (destination, token) =>
            {
                await destination.WriteAsync(StoreData.Json("half", 100_000), token).ConfigureAwait(false);
                await cancellation.CancelAsync().ConfigureAwait(false);
                await destination.WriteAsync(StoreData.Json("rest", 100_000), token).ConfigureAwait(false);
                token.ThrowIfCancellationRequested();
            },
            cancellation.Token).ConfigureAwait(false), "a write cancelled midway").ConfigureAwait(false);

        Expect.SameBytes(previous, await store.ReadPayloadAsync("s3", ct).ConfigureAwait(false), "the payload after a cancelled write");
        Expect.Equal(1L, (await store.GetMetadataAsync("s3", ct).ConfigureAwait(false))?.Generation, "the Generation after a cancelled write");
    }, cancellationToken);

    /// <summary>A write cancelled before it starts changes nothing.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task WriteCancelledBeforeStartChangesNothingAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(WriteCancelledBeforeStartChangesNothingAsync), async (store, ct) =>
    {
        var previous = StoreData.Json("previous");
        await store.WriteAsync("s3", 1, previous, cancellationToken: ct).ConfigureAwait(false);

        await Expect.ThrowsAsync<OperationCanceledException>(async () => await store.WriteAsync("s3", 2, StoreData.Json("never"), cancellationToken: new CancellationToken(canceled: true)).ConfigureAwait(false), "a write with a cancelled token").ConfigureAwait(false);
        Expect.SameBytes(previous, await store.ReadPayloadAsync("s3", ct).ConfigureAwait(false), "the payload after a write cancelled before it started");
    }, cancellationToken);

    /// <summary>A failing payload writer leaves the previous snapshot, and its exception reaches the caller unchanged.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task FailingWriterKeepsPreviousAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(FailingWriterKeepsPreviousAsync), async (store, ct) =>
    {
        var previous = StoreData.Json("previous");
        await store.WriteAsync("s3", 1, previous, cancellationToken: ct).ConfigureAwait(false);

        var error = await Expect.ThrowsAsync<InvalidOperationException>(async () => await store.WriteAsync(
            new SnapshotWriteRequest("s3", 1, 2),
            async (destination, token) =>
            {
                await destination.WriteAsync(StoreData.Json("partial", 50_000), token).ConfigureAwait(false);
                throw new InvalidOperationException("capture failed");
            },
            ct).ConfigureAwait(false), "a write whose payload writer throws").ConfigureAwait(false);

        Expect.Equal("capture failed", error.Message, "the payload writer's exception message");
        Expect.SameBytes(previous, await store.ReadPayloadAsync("s3", ct).ConfigureAwait(false), "the payload after a failed write");
    }, cancellationToken);

    /// <summary>Concurrent writes of one service each complete and leave one whole version: the payload of the generation its header names.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task ConcurrentWritesLeaveOneVersionAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(ConcurrentWritesLeaveOneVersionAsync), async (store, ct) =>
    {
        const int writers = 8;
        var payloads = Enumerable.Range(1, writers).Select(i => StoreData.Json($"writer-{i}", i * 40_000)).ToArray();

        // Each writer yields between chunks, so unserialized writes would interleave their bytes.
        var writes = Enumerable.Range(1, writers).Select(i => Task.Run(async () => await store.WriteAsync(
            new SnapshotWriteRequest("s3", 1, i),
            async (destination, token) =>
            {
                var payload = payloads[i - 1];
                for (var offset = 0; offset < payload.Length; offset += 4096)
                {
                    await destination.WriteAsync(payload.AsMemory(offset, Math.Min(4096, payload.Length - offset)), token).ConfigureAwait(false);
                    await Task.Yield();
                }
            },
            ct).ConfigureAwait(false), ct));
        var results = await Task.WhenAll(writes).ConfigureAwait(false);

        Expect.SequenceEqual(Enumerable.Range(1, writers).Select(i => (long)i), results.Select(r => r.Generation).Order(), "the generations the concurrent writes returned");
        var metadata = Expect.NotNull(await store.GetMetadataAsync("s3", ct).ConfigureAwait(false), "GetMetadataAsync after the concurrent writes");
        Expect.True(metadata.Generation is >= 1 and <= writers, $"the stored Generation: expected one of 1 to {writers}, found {metadata.Generation}.");
        Expect.SameBytes(payloads[metadata.Generation - 1], await store.ReadPayloadAsync("s3", ct).ConfigureAwait(false), $"the stored payload against the complete payload of generation {metadata.Generation}, which its header names");
    }, cancellationToken);

    /// <summary>A new asset generation is an empty folder, found again by its number and by nothing else.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task NewAssetGenerationIsEmptyAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(NewAssetGenerationIsEmptyAsync), async (store, ct) =>
    {
        var folder = await store.CreateAssetGenerationAsync("s3", 1, ct).ConfigureAwait(false);

        Expect.True(Directory.Exists(folder), $"CreateAssetGenerationAsync(\"s3\", 1): expected a folder at '{folder}', found none.");
        Expect.SequenceEqual([], Directory.EnumerateFileSystemEntries(folder), "the entries of a new generation folder");
        Expect.Equal(folder, store.GetAssetGenerationDirectory("s3", 1), "GetAssetGenerationDirectory(\"s3\", 1)");
        Expect.Null(store.GetAssetGenerationDirectory("s3", 2), "GetAssetGenerationDirectory(\"s3\", 2) of a generation never created");
        Expect.Null(store.GetAssetGenerationDirectory("sqs", 1), "GetAssetGenerationDirectory(\"sqs\", 1) of another service");
    }, cancellationToken);

    /// <summary>Creating a generation again discards what a save that never committed staged.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task RecreatedGenerationIsEmptiedAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(RecreatedGenerationIsEmptiedAsync), async (store, ct) =>
    {
        var folder = await store.CreateAssetGenerationAsync("s3", 3, ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(folder, "leftover.db"), "half-staged", ct).ConfigureAwait(false);
        Directory.CreateDirectory(Path.Combine(folder, "nested"));

        var again = await store.CreateAssetGenerationAsync("s3", 3, ct).ConfigureAwait(false);
        Expect.Equal(folder, again, "the folder of generation 3 created again");
        Expect.SequenceEqual([], Directory.EnumerateFileSystemEntries(again).Select(Path.GetFileName), "the entries of generation 3 created again");
    }, cancellationToken);

    /// <summary>Flushing a generation keeps its files and folders as they were.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task FlushKeepsFilesAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(FlushKeepsFilesAsync), async (store, ct) =>
    {
        var folder = await store.CreateAssetGenerationAsync("s3", 1, ct).ConfigureAwait(false);
        Directory.CreateDirectory(Path.Combine(folder, "buckets"));
        await File.WriteAllTextAsync(Path.Combine(folder, "buckets", "a.bin"), "alpha", ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(folder, "index.db"), "index", ct).ConfigureAwait(false);

        await store.FlushAssetGenerationAsync("s3", 1, ct).ConfigureAwait(false);

        Expect.Equal("alpha", ReadIfExists(Path.Combine(folder, "buckets", "a.bin")), "buckets/a.bin after the flush");
        Expect.Equal("index", ReadIfExists(Path.Combine(folder, "index.db")), "index.db after the flush");
    }, cancellationToken);

    /// <summary>Pruning keeps only the named generation and the working folder.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task PruneKeepsNamedGenerationAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(PruneKeepsNamedGenerationAsync), async (store, ct) =>
    {
        foreach (var generation in new long[] { 1, 2, 3 })
        {
            var folder = await store.CreateAssetGenerationAsync("s3", generation, ct).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(folder, "data.db"), $"generation {generation}", ct).ConfigureAwait(false);
        }

        var working = store.GetWorkingDirectory("s3");
        await File.WriteAllTextAsync(Path.Combine(working, "live.db"), "live", ct).ConfigureAwait(false);

        await store.PruneAssetGenerationsAsync("s3", 2, ct).ConfigureAwait(false);

        Expect.Null(store.GetAssetGenerationDirectory("s3", 1), "generation 1 after pruning all but 2");
        Expect.Null(store.GetAssetGenerationDirectory("s3", 3), "generation 3 after pruning all but 2");
        var kept = Expect.NotNull(store.GetAssetGenerationDirectory("s3", 2), "generation 2 after pruning all but 2");
        Expect.Equal("generation 2", ReadIfExists(Path.Combine(kept, "data.db")), "generation 2's data.db after pruning");
        Expect.Equal("live", ReadIfExists(Path.Combine(working, "live.db")), "the working folder's live.db after pruning");
    }, cancellationToken);

    /// <summary>The working folder is stable per service, distinct between services, and never a generation folder or inside one's parent.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task WorkingFolderIsStableAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(WorkingFolderIsStableAsync), async (store, ct) =>
    {
        var working = store.GetWorkingDirectory("s3");
        var generation = await store.CreateAssetGenerationAsync("s3", 1, ct).ConfigureAwait(false);

        Expect.True(Directory.Exists(working), $"GetWorkingDirectory(\"s3\"): expected an existing folder at '{working}', found none.");
        Expect.Equal(working, store.GetWorkingDirectory("s3"), "GetWorkingDirectory(\"s3\") asked again");
        Expect.True(store.GetWorkingDirectory("sqs") != working, $"GetWorkingDirectory(\"sqs\"): expected a folder other than s3's '{working}', found the same.");
        Expect.True(working != generation, $"the working folder: expected a folder other than generation 1's, found the same '{working}'.");
        Expect.True(!Path.GetFullPath(generation).StartsWith(Path.GetFullPath(working) + Path.DirectorySeparatorChar, StringComparison.Ordinal), $"generation 1's folder: expected outside the working folder '{working}', found '{generation}'.");
    }, cancellationToken);

    /// <summary>Generations below one (0, -1, <see cref="long.MinValue"/>) are rejected by every method that takes one.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task GenerationsBelowOneAreRejectedAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(GenerationsBelowOneAreRejectedAsync), async (store, ct) =>
    {
        foreach (var generation in GenerationsBelowOne)
        {
            await Expect.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.CreateAssetGenerationAsync("s3", generation, ct).ConfigureAwait(false), $"CreateAssetGenerationAsync with generation {generation}").ConfigureAwait(false);
            await Expect.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.FlushAssetGenerationAsync("s3", generation, ct).ConfigureAwait(false), $"FlushAssetGenerationAsync with generation {generation}").ConfigureAwait(false);
            await Expect.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.PruneAssetGenerationsAsync("s3", generation, ct).ConfigureAwait(false), $"PruneAssetGenerationsAsync with generation {generation}").ConfigureAwait(false);
            await Expect.ThrowsAsync<ArgumentOutOfRangeException>(() => Task.FromResult(store.GetAssetGenerationDirectory("s3", generation)), $"GetAssetGenerationDirectory with generation {generation}").ConfigureAwait(false);
            await Expect.ThrowsAsync<ArgumentException>(async () => await store.WriteAsync("s3", generation, StoreData.Json("x"), cancellationToken: ct).ConfigureAwait(false), $"WriteAsync with generation {generation}").ConfigureAwait(false);
        }
    }, cancellationToken);

    /// <summary>Every method that takes a service name rejects each of <see cref="HostileServiceNames"/> with an <see cref="ArgumentException"/>.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public Task HostileServiceNamesAreRejectedAsync(CancellationToken cancellationToken = default) => RunAsync(nameof(HostileServiceNamesAreRejectedAsync), async (store, ct) =>
    {
        foreach (var name in HostileServiceNames)
        {
            foreach (var (method, call) in StoreCalls(store, name))
            {
                await Expect.ThrowsAsync<ArgumentException>(call, $"{method} with service name {Expect.Show(name.Replace("\0", "\\0", StringComparison.Ordinal))}").ConfigureAwait(false);
            }
        }
    }, cancellationToken);

    /// <summary>Every method of a store that takes a service name, called with <paramref name="serviceName"/>.</summary>
    internal static IReadOnlyList<(string Method, Func<Task> Call)> StoreCalls(ISnapshotStore store, string serviceName) =>
    [
        ("WriteAsync", async () => await store.WriteAsync(serviceName, 1, StoreData.Json("x")).ConfigureAwait(false)),
        ("OpenReadAsync", async () => await store.OpenReadAsync(serviceName).ConfigureAwait(false)),
        ("GetMetadataAsync", async () => await store.GetMetadataAsync(serviceName).ConfigureAwait(false)),
        ("DeleteAsync", async () => await store.DeleteAsync(serviceName).ConfigureAwait(false)),
        ("GetWorkingDirectory", () => Task.FromResult(store.GetWorkingDirectory(serviceName))),
        ("CreateAssetGenerationAsync", async () => await store.CreateAssetGenerationAsync(serviceName, 1).ConfigureAwait(false)),
        ("FlushAssetGenerationAsync", async () => await store.FlushAssetGenerationAsync(serviceName, 1).ConfigureAwait(false)),
        ("GetAssetGenerationDirectory", () => Task.FromResult(store.GetAssetGenerationDirectory(serviceName, 1))),
        ("PruneAssetGenerationsAsync", async () => await store.PruneAssetGenerationsAsync(serviceName, 1).ConfigureAwait(false)),
    ];

    private static string? ReadIfExists(string path) => File.Exists(path) ? File.ReadAllText(path) : null;

    private Func<CancellationToken, Task> Method(string method) => method switch
    {
        nameof(MissingSnapshotIsNothingAsync) => MissingSnapshotIsNothingAsync,
        nameof(PayloadRoundTripsAsync) => PayloadRoundTripsAsync,
        nameof(MetadataDescribesWriteAsync) => MetadataDescribesWriteAsync,
        nameof(SecondWriteReplacesFirstAsync) => SecondWriteReplacesFirstAsync,
        nameof(ServicesAreSeparateAsync) => ServicesAreSeparateAsync,
        nameof(DeleteRemovesSnapshotAndAssetsAsync) => DeleteRemovesSnapshotAndAssetsAsync,
        nameof(WriteAfterDeleteAsync) => WriteAfterDeleteAsync,
        nameof(ListIsOrderedByServiceAsync) => ListIsOrderedByServiceAsync,
        nameof(NewerSchemaIsNotOverwrittenAsync) => NewerSchemaIsNotOverwrittenAsync,
        nameof(NewerSchemaMayReplaceOlderAsync) => NewerSchemaMayReplaceOlderAsync,
        nameof(CancelledWriteKeepsPreviousAsync) => CancelledWriteKeepsPreviousAsync,
        nameof(WriteCancelledBeforeStartChangesNothingAsync) => WriteCancelledBeforeStartChangesNothingAsync,
        nameof(FailingWriterKeepsPreviousAsync) => FailingWriterKeepsPreviousAsync,
        nameof(ConcurrentWritesLeaveOneVersionAsync) => ConcurrentWritesLeaveOneVersionAsync,
        nameof(NewAssetGenerationIsEmptyAsync) => NewAssetGenerationIsEmptyAsync,
        nameof(RecreatedGenerationIsEmptiedAsync) => RecreatedGenerationIsEmptiedAsync,
        nameof(FlushKeepsFilesAsync) => FlushKeepsFilesAsync,
        nameof(PruneKeepsNamedGenerationAsync) => PruneKeepsNamedGenerationAsync,
        nameof(WorkingFolderIsStableAsync) => WorkingFolderIsStableAsync,
        nameof(GenerationsBelowOneAreRejectedAsync) => GenerationsBelowOneAreRejectedAsync,
        nameof(HostileServiceNamesAreRejectedAsync) => HostileServiceNamesAreRejectedAsync,
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    private Task RunAsync(string method, Func<ISnapshotStore, CancellationToken, Task> body, CancellationToken cancellationToken)
        => PersistenceCheck.RunNamedAsync(Names.Single(n => n.Key == method).Value, async () =>
        {
            var root = StoreData.NewTempFolder();
            try
            {
                var store = _createStore(root) ?? throw new PersistenceCheckException("the store factory returned null.");
                try
                {
                    await body(store, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    await _destroyStore(store).ConfigureAwait(false);
                }
            }
            finally
            {
                StoreData.DeleteFolder(root);
            }
        }, cancellationToken);
}
