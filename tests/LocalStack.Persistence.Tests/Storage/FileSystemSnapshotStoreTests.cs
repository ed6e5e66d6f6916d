using System.Text;
using LocalStack.Persistence.Storage.Internal;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Testing;
using LocalStack.Persistence.Storage.Format;
using Microsoft.Extensions.Time.Testing;

namespace LocalStack.Persistence.Tests.Storage;

/// <summary>What <see cref="FileSystemSnapshotStore"/> promises beyond the <see cref="ISnapshotStore"/> contract: layout, write order, failures, corruption, versions.</summary>
public sealed class FileSystemSnapshotStoreTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 2, 3, 4, 5, 6, TimeSpan.Zero);

    private readonly List<FileSystemSnapshotStore> _stores = [];
    private string _root = null!;
    private FakeTimeProvider _time = null!;

    private string StateDirectory => Path.Combine(_root, "state");

    [SetUp]
    public void CreateRoot()
    {
        _root = Directory.CreateTempSubdirectory("lsp-fs-store-").FullName;
        _time = new FakeTimeProvider(Start);
    }

    [TearDown]
    public void DeleteRoot()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        _stores.Clear();
        Directory.Delete(_root, recursive: true);
    }

    [Test]
    public async Task The_layout_is_api_states_service_store_state_plus_numbered_generations_and_a_working_folder()
    {
        var store = Open();

        var metadata = await store.WriteAsync("s3", 7, StoreTestData.Json("layout"));
        var generation = await store.CreateAssetGenerationAsync("s3", 8);
        var working = store.GetWorkingDirectory("s3");

        Assert.Multiple(() =>
        {
            Assert.That(store.StateDirectory, Is.EqualTo(StateDirectory));
            Assert.That(metadata.Location, Is.EqualTo(StatePath("s3")));
            Assert.That(File.Exists(StatePath("s3")), Is.True);
            Assert.That(generation, Is.EqualTo(Path.Combine(StateDirectory, "s3", "00000000000000000008")));
            Assert.That(working, Is.EqualTo(Path.Combine(StateDirectory, "s3", "working")));
            Assert.That(Encoding.ASCII.GetString(LinuxNative.TryReadPrefix(Path.Combine(StateDirectory, ".lock"), 32)!), Is.EqualTo($"{Environment.ProcessId}\n"));
        });
    }

    [Test]
    public async Task The_creation_time_comes_from_the_time_provider()
    {
        var store = Open();

        var written = await store.WriteAsync("s3", 1, StoreTestData.Json("time"));

        Assert.That(written.CreatedAt, Is.EqualTo(Start));
        Assert.That((await store.GetMetadataAsync("s3"))!.CreatedAt, Is.EqualTo(Start).Within(TimeSpan.FromMilliseconds(1)));
    }

    [Test]
    public async Task A_write_goes_to_a_temp_file_in_the_same_folder_then_flush_rename_and_folder_fsync()
    {
        var fileSystem = new RecordingFileSystem();
        var store = Open(fileSystem);
        var apiStates = Path.Combine(StateDirectory, "api_states");
        var folder = Path.Combine(apiStates, "s3");
        fileSystem.Clear();

        await store.WriteAsync("s3", 1, StoreTestData.Json("first"));
        var first = fileSystem.Operations;
        fileSystem.Clear();
        await store.WriteAsync("s3", 2, StoreTestData.Json("second"));
        var second = fileSystem.Operations;

        var temp = first[4].Path;
        Assert.That(Path.GetDirectoryName(temp), Is.EqualTo(folder));
        Assert.That(Path.GetFileName(temp), Does.Match("^store\\.state\\.[0-9a-f]{32}\\.tmp$"));
        Assert.That(first, Is.EqualTo(new FileSystemOperation[]
        {
            new(RecordingFileSystem.CreateDirectoryOp, apiStates),
            new(RecordingFileSystem.FlushDirectoryOp, StateDirectory),
            new(RecordingFileSystem.CreateDirectoryOp, folder),
            new(RecordingFileSystem.FlushDirectoryOp, apiStates),
            new(RecordingFileSystem.CreateNewFileOp, temp),
            new(RecordingFileSystem.FlushToDiskOp, temp),
            new(RecordingFileSystem.MoveOp, temp, StatePath("s3")),
            new(RecordingFileSystem.FlushDirectoryOp, folder),
        }));
        Assert.That(second.Select(o => o.Name), Is.EqualTo(new[]
        {
            RecordingFileSystem.CreateNewFileOp, RecordingFileSystem.FlushToDiskOp, RecordingFileSystem.MoveOp, RecordingFileSystem.FlushDirectoryOp,
        }));
        Assert.That(second[0].Path, Is.Not.EqualTo(temp), "every write uses a fresh temp name");
    }

    [Test]
    public async Task A_failed_fsync_is_not_retried_the_temp_file_is_deleted_and_the_previous_snapshot_stays_byte_identical()
    {
        var fileSystem = new RecordingFileSystem();
        var store = Open(fileSystem);
        var previous = StoreTestData.Json("previous", 20_000);
        await store.WriteAsync("s3", 1, previous);
        var before = File.ReadAllBytes(StatePath("s3"));
        fileSystem.Clear();
        fileSystem.Fail = op => op.Name == RecordingFileSystem.FlushToDiskOp ? new IOException("injected fsync failure (EIO)") : null;

        var error = await Assert.ThrowsAsync<IOException>(async () => await store.WriteAsync("s3", 2, StoreTestData.Json("next", 30_000)));

        var operations = fileSystem.Operations;
        Assert.That(error!.Message, Does.Contain("injected fsync failure"));
        Assert.That(operations.Count(o => o.Name == RecordingFileSystem.FlushToDiskOp), Is.EqualTo(1), "a failed fsync is never retried");
        Assert.That(operations.Any(o => o.Name == RecordingFileSystem.MoveOp), Is.False, "nothing is renamed after a failed fsync");
        Assert.That(operations, Does.Contain(new FileSystemOperation(RecordingFileSystem.DeleteFileOp, operations[0].Path)));
        AssertNoTempFiles();
        Assert.That(File.ReadAllBytes(StatePath("s3")), Is.EqualTo(before));
        Assert.That(await store.ReadPayloadAsync("s3"), Is.EqualTo(previous));

        fileSystem.Fail = null;
        var recovered = StoreTestData.Json("recovered");
        await store.WriteAsync("s3", 2, recovered);
        Assert.That(await store.ReadPayloadAsync("s3"), Is.EqualTo(recovered));
    }

    [Test]
    public async Task A_failed_rename_deletes_the_temp_file_and_keeps_the_previous_snapshot()
    {
        var fileSystem = new RecordingFileSystem();
        var store = Open(fileSystem);
        var previous = StoreTestData.Json("previous");
        await store.WriteAsync("s3", 1, previous);
        var before = File.ReadAllBytes(StatePath("s3"));
        fileSystem.Clear();
        fileSystem.Fail = op => op.Name == RecordingFileSystem.MoveOp ? new UnauthorizedAccessException("injected rename failure (EACCES)") : null;

        await Assert.ThrowsAsync<UnauthorizedAccessException>(async () => await store.WriteAsync("s3", 2, StoreTestData.Json("next")));

        var operations = fileSystem.Operations;
        Assert.That(operations.Select(o => o.Name), Is.EqualTo(new[]
        {
            RecordingFileSystem.CreateNewFileOp, RecordingFileSystem.FlushToDiskOp, RecordingFileSystem.MoveOp, RecordingFileSystem.DeleteFileOp,
        }));
        Assert.That(operations[3].Path, Is.EqualTo(operations[0].Path));
        AssertNoTempFiles();
        Assert.That(File.ReadAllBytes(StatePath("s3")), Is.EqualTo(before));
    }

    [Test]
    public async Task A_failed_folder_fsync_after_the_rename_is_reported()
    {
        var fileSystem = new RecordingFileSystem();
        var store = Open(fileSystem);
        await store.WriteAsync("s3", 1, StoreTestData.Json("previous"));
        var folder = Path.GetDirectoryName(StatePath("s3"));
        fileSystem.Fail = op => op.Name == RecordingFileSystem.FlushDirectoryOp && op.Path == folder ? new IOException("injected folder fsync failure") : null;

        // The rename already committed the new file; the caller learns that it may not be durable.
        var error = await Assert.ThrowsAsync<IOException>(async () => await store.WriteAsync("s3", 2, StoreTestData.Json("next")));

        Assert.That(error!.Message, Does.Contain("injected folder fsync failure"));
        AssertNoTempFiles();
    }

    [Test]
    public async Task Cancelled_and_failed_writes_leave_no_temp_file()
    {
        var store = Open();
        await store.WriteAsync("s3", 1, StoreTestData.Json("previous"));
        using var cancellation = new CancellationTokenSource();

        await Assert.CatchAsync<OperationCanceledException>(async () => await store.WriteAsync(
            new SnapshotWriteRequest("s3", 1, 2),
            async (destination, ct) =>
            {
                await destination.WriteAsync(StoreTestData.Json("partial", 100_000), ct);
                await cancellation.CancelAsync();
                ct.ThrowIfCancellationRequested();
            },
            cancellation.Token));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.WriteAsync(
            new SnapshotWriteRequest("s3", 1, 2),
            async (destination, ct) =>
            {
                await destination.WriteAsync(StoreTestData.Json("partial", 100_000), ct);
                throw new InvalidOperationException("capture failed");
            }));

        AssertNoTempFiles();
    }

    [Test]
    public async Task Concurrent_writes_of_one_service_never_overlap_on_disk()
    {
        var fileSystem = new RecordingFileSystem();
        var store = Open(fileSystem);
        fileSystem.Clear();

        await Task.WhenAll(Enumerable.Range(1, 6).Select(i => Task.Run(async () => await store.WriteAsync("s3", i, StoreTestData.Json($"w{i}", 50_000)))));

        string? open = null;
        foreach (var operation in fileSystem.Operations.Where(o => o.Name is RecordingFileSystem.CreateNewFileOp or RecordingFileSystem.MoveOp))
        {
            if (operation.Name == RecordingFileSystem.CreateNewFileOp)
            {
                Assert.That(open, Is.Null, $"a second temp file was created while {open} was not yet committed");
                open = operation.Path;
            }
            else
            {
                Assert.That(operation.Path, Is.EqualTo(open));
                open = null;
            }
        }

        Assert.That(fileSystem.Operations.Count(o => o.Name == RecordingFileSystem.MoveOp), Is.EqualTo(6));
    }

    [Test]
    public async Task Temp_files_left_by_a_killed_writer_are_removed_at_start_up_and_never_loaded()
    {
        var previous = StoreTestData.Json("committed");
        var complete = await CompleteSnapshotBytesAsync("s3", 2, StoreTestData.Json("never committed"));
        using (var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory }))
        {
            await store.WriteAsync("s3", 1, previous);
        }

        var s3 = Path.GetDirectoryName(StatePath("s3"))!;
        var sqs = Path.GetDirectoryName(StatePath("sqs"))!;
        Directory.CreateDirectory(sqs);
        File.WriteAllBytes(Path.Combine(s3, "store.state.0123456789abcdef0123456789abcdef.tmp"), complete);
        File.WriteAllBytes(Path.Combine(s3, "store.state.fedcba9876543210fedcba9876543210.tmp"), complete[..(complete.Length / 2)]);
        File.WriteAllBytes(Path.Combine(s3, "store.state.corrupt-20260101T000000000Z.00112233445566778899aabbccddeeff.tmp"), complete);
        File.WriteAllBytes(Path.Combine(sqs, "store.state.00000000000000000000000000000000.tmp"), complete);
        File.WriteAllText(Path.Combine(s3, "operator-notes.txt"), "not ours");

        var reopened = Open();

        AssertNoTempFiles();
        Assert.That(File.Exists(Path.Combine(s3, "operator-notes.txt")), Is.True, "only the store's own temp files are removed");
        Assert.That(await reopened.ReadPayloadAsync("s3"), Is.EqualTo(previous));
        Assert.That(await reopened.OpenReadAsync("sqs"), Is.Null);
        Assert.That((await reopened.ListAllAsync()).Select(m => m.ServiceName), Is.EqualTo(new[] { "s3" }));
    }

    public static IEnumerable<TestCaseData> Corruptions()
    {
        yield return new TestCaseData(new Func<byte[], byte[]>(b => b[..(b.Length / 2)])).SetArgDisplayNames("truncated to half");
        yield return new TestCaseData(new Func<byte[], byte[]>(b => [.. new byte[16], .. b[16..]])).SetArgDisplayNames("header zeroed");
        yield return new TestCaseData(new Func<byte[], byte[]>(_ => [])).SetArgDisplayNames("empty");
        yield return new TestCaseData(new Func<byte[], byte[]>(_ => "not a snapshot at all"u8.ToArray())).SetArgDisplayNames("foreign bytes");
    }

    [TestCaseSource(nameof(Corruptions))]
    public async Task A_corrupt_snapshot_is_copied_aside_once_and_left_in_place(Func<byte[], byte[]> corrupt)
    {
        var store = Open();
        await store.WriteAsync("s3", 1, StoreTestData.Json("soon corrupt", 10_000));
        var statePath = StatePath("s3");
        var damaged = corrupt(File.ReadAllBytes(statePath));
        File.WriteAllBytes(statePath, damaged);

        var first = await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await store.OpenReadAsync("s3"));
        _time.Advance(TimeSpan.FromSeconds(5));
        var second = await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await store.OpenReadAsync("s3"));

        var expectedCopy = Path.Combine(Path.GetDirectoryName(statePath)!, "store.state.corrupt-20260102T030405006Z");
        Assert.Multiple(() =>
        {
            Assert.That(first!.Path, Is.EqualTo(statePath));
            Assert.That(first.Message, Does.Contain(statePath));
            Assert.That(first.InnerException, Is.InstanceOf<SnapshotCorruptException>());
            Assert.That(first.PreservedCopyPath, Is.EqualTo(expectedCopy));
            Assert.That(File.ReadAllBytes(expectedCopy), Is.EqualTo(damaged));
            Assert.That(File.ReadAllBytes(statePath), Is.EqualTo(damaged), "store.state stays, so the service stays faulted instead of starting empty");
            Assert.That(second!.PreservedCopyPath, Is.EqualTo(expectedCopy), "a retry does not pile up copies");
            Assert.That(CorruptCopies("s3"), Has.Count.EqualTo(1));
        });
        AssertNoTempFiles();
    }

    [Test]
    public async Task Each_distinct_corruption_gets_its_own_copy()
    {
        var store = Open();
        await store.WriteAsync("s3", 1, StoreTestData.Json("soon corrupt"));
        File.WriteAllText(StatePath("s3"), "garbage one");
        var first = await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await store.OpenReadAsync("s3"));
        File.WriteAllText(StatePath("s3"), "garbage two");

        var second = await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await store.OpenReadAsync("s3"));

        Assert.That(second!.PreservedCopyPath, Is.Not.EqualTo(first!.PreservedCopyPath), "same time stamp, different bytes: a second name");
        Assert.That(File.ReadAllText(second.PreservedCopyPath!), Is.EqualTo("garbage two"));
        Assert.That(File.ReadAllText(first.PreservedCopyPath!), Is.EqualTo("garbage one"));
        Assert.That(CorruptCopies("s3"), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task A_snapshot_with_an_unreadable_header_is_not_overwritten_until_the_service_is_reset()
    {
        var store = Open();
        await store.WriteAsync("s3", 1, StoreTestData.Json("soon corrupt"));
        var statePath = StatePath("s3");
        var damaged = File.ReadAllBytes(statePath);
        damaged.AsSpan(0, 16).Clear();
        File.WriteAllBytes(statePath, damaged);
        var load = await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await store.OpenReadAsync("s3"));

        var error = await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await store.WriteAsync("s3", 2, StoreTestData.Json("would hide the damage")));
        var staging = await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await store.CreateAssetGenerationAsync("s3", 2));

        Assert.That(error!.Path, Is.EqualTo(statePath));
        Assert.That(error.Message, Does.Contain("reset"));
        Assert.That(staging!.Path, Is.EqualTo(statePath));
        Assert.That(File.ReadAllBytes(statePath), Is.EqualTo(damaged));
        AssertNoTempFiles();

        Assert.That(await store.DeleteAsync("s3"), Is.True);
        Assert.That(File.Exists(load!.PreservedCopyPath), Is.True, "a reset keeps the evidence");
        var fresh = StoreTestData.Json("fresh");
        await store.WriteAsync("s3", 1, fresh);
        Assert.That(await store.ReadPayloadAsync("s3"), Is.EqualTo(fresh));
    }

    [Test]
    public async Task A_newer_schema_refusal_leaves_the_file_byte_identical()
    {
        var store = Open();
        await store.WriteAsync("s3", 1, StoreTestData.Json("newer"), schemaVersion: 4);
        var before = File.ReadAllBytes(StatePath("s3"));

        var error = await Assert.ThrowsAsync<SnapshotVersionException>(async () => await store.WriteAsync("s3", 2, StoreTestData.Json("older"), schemaVersion: 2));

        Assert.That(error!.Path, Is.EqualTo(StatePath("s3")));
        Assert.That(error.Kind, Is.EqualTo("schema"));
        Assert.That(error.FoundVersion, Is.EqualTo(4));
        Assert.That(error.SupportedVersion, Is.EqualTo(2));
        Assert.That(File.ReadAllBytes(StatePath("s3")), Is.EqualTo(before));
        AssertNoTempFiles();
    }

    [Test]
    public async Task A_snapshot_whose_header_reports_a_newer_format_is_not_overwritten()
    {
        using (var writer = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory }))
        {
            await writer.WriteAsync("s3", 1, StoreTestData.Json("future"));
        }

        var before = File.ReadAllBytes(StatePath("s3"));
        var store = Open(readHeader: (file, location, max) => SnapshotFile.ReadHeader(file, location, max) with { FormatVersion = SnapshotFile.CurrentFormatVersion + 1 });

        var error = await Assert.ThrowsAsync<SnapshotVersionException>(async () => await store.WriteAsync("s3", 2, StoreTestData.Json("present")));

        Assert.That(error!.Kind, Is.EqualTo("format"));
        Assert.That(error.FoundVersion, Is.EqualTo(SnapshotFile.CurrentFormatVersion + 1));
        Assert.That(error.SupportedVersion, Is.EqualTo(SnapshotFile.CurrentFormatVersion));
        Assert.That(File.ReadAllBytes(StatePath("s3")), Is.EqualTo(before));
    }

    [Test]
    public async Task A_snapshot_whose_header_the_format_rejects_as_newer_is_not_overwritten()
    {
        using (var writer = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory }))
        {
            await writer.WriteAsync("s3", 1, StoreTestData.Json("future"));
        }

        var before = File.ReadAllBytes(StatePath("s3"));
        var store = Open(readHeader: (_, location, _) => throw new SnapshotVersionException(location, "format", 9, SnapshotFile.CurrentFormatVersion));

        var error = await Assert.ThrowsAsync<SnapshotVersionException>(async () => await store.WriteAsync("s3", 2, StoreTestData.Json("present")));

        Assert.That(error!.Kind, Is.EqualTo("format"));
        Assert.That(error.FoundVersion, Is.EqualTo(9));
        Assert.That(File.ReadAllBytes(StatePath("s3")), Is.EqualTo(before));
        AssertNoTempFiles();
    }

    [Test]
    public async Task List_skips_corrupt_foreign_and_misfiled_entries()
    {
        var store = Open();
        var s3 = await store.WriteAsync("s3", 1, StoreTestData.Json("s3"));
        await store.WriteAsync("sqs", 1, StoreTestData.Json("sqs"));
        await store.WriteAsync("kinesis", 1, StoreTestData.Json("kinesis"));
        var apiStates = Path.Combine(StateDirectory, "api_states");
        File.WriteAllText(StatePath("sqs"), "corrupt");
        File.Copy(StatePath("s3"), StatePath("kinesis"), overwrite: true); // a header naming another service
        Directory.CreateDirectory(Path.Combine(apiStates, "Not Valid"));
        Directory.CreateDirectory(Path.Combine(apiStates, "dynamodb"));
        File.WriteAllText(Path.Combine(apiStates, "stray.txt"), "stray");

        var listed = await store.ListAllAsync();

        Assert.That(listed, Has.Count.EqualTo(1));
        StoreTestData.AssertSameSnapshot(listed[0], s3);
    }

    [Test]
    public async Task A_new_generation_must_be_newer_than_the_committed_one()
    {
        var store = Open();
        var committed = await store.CreateAssetGenerationAsync("s3", 5);
        await File.WriteAllTextAsync(Path.Combine(committed, "data.db"), "committed assets");
        await store.FlushAssetGenerationAsync("s3", 5);
        await store.WriteAsync("s3", 5, StoreTestData.Json("gen 5"));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.CreateAssetGenerationAsync("s3", 5));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.CreateAssetGenerationAsync("s3", 4));

        Assert.That(File.ReadAllText(Path.Combine(committed, "data.db")), Is.EqualTo("committed assets"));
        Assert.That(await store.CreateAssetGenerationAsync("s3", 6), Is.Not.EqualTo(committed));
    }

    [Test]
    public async Task A_new_generation_folder_is_created_durably()
    {
        var fileSystem = new RecordingFileSystem();
        var store = Open(fileSystem);
        fileSystem.Clear();

        var generation = await store.CreateAssetGenerationAsync("s3", 1);

        var service = Path.Combine(StateDirectory, "s3");
        Assert.That(fileSystem.Operations, Is.EqualTo(new FileSystemOperation[]
        {
            new(RecordingFileSystem.CreateDirectoryOp, service),
            new(RecordingFileSystem.FlushDirectoryOp, StateDirectory),
            new(RecordingFileSystem.CreateDirectoryOp, generation),
            new(RecordingFileSystem.FlushDirectoryOp, service),
        }));
    }

    [Test]
    public async Task Flushing_a_generation_fsyncs_every_file_then_its_folders_up_to_the_service_folder()
    {
        var fileSystem = new RecordingFileSystem();
        var store = Open(fileSystem);
        var generation = await store.CreateAssetGenerationAsync("s3", 1);
        var nested = Directory.CreateDirectory(Path.Combine(generation, "buckets")).FullName;
        var files = new[] { Path.Combine(generation, "index.db"), Path.Combine(nested, "a.bin"), Path.Combine(nested, "b.bin") };
        foreach (var file in files)
        {
            await File.WriteAllTextAsync(file, file);
        }

        fileSystem.Clear();
        await store.FlushAssetGenerationAsync("s3", 1);

        var operations = fileSystem.Operations.ToList();
        var service = Path.Combine(StateDirectory, "s3");
        Assert.That(operations.Where(o => o.Name == RecordingFileSystem.FlushFileToDiskOp).Select(o => o.Path), Is.EquivalentTo(files));
        var nestedFsync = operations.IndexOf(new(RecordingFileSystem.FlushDirectoryOp, nested));
        var generationFsync = operations.IndexOf(new(RecordingFileSystem.FlushDirectoryOp, generation));
        Assert.That(nestedFsync, Is.GreaterThan(operations.FindLastIndex(o => o.Path.StartsWith(nested + "/", StringComparison.Ordinal))));
        Assert.That(generationFsync, Is.GreaterThan(operations.FindLastIndex(o => o.Name == RecordingFileSystem.FlushFileToDiskOp)));
        Assert.That(generationFsync, Is.GreaterThan(nestedFsync));
        Assert.That(operations[^1], Is.EqualTo(new FileSystemOperation(RecordingFileSystem.FlushDirectoryOp, service)));
    }

    [Test]
    public async Task A_hard_linked_asset_this_store_already_fsynced_is_not_fsynced_again_until_it_changes()
    {
        var fileSystem = new RecordingFileSystem();
        var store = Open(fileSystem);
        var working = Directory.CreateDirectory(Path.Combine(_root, "live-objects")).FullName;
        var kept = Path.Combine(working, "kept.bin");
        var changed = Path.Combine(working, "changed.bin");
        await File.WriteAllTextAsync(kept, "object bytes");
        await File.WriteAllTextAsync(changed, "first");

        async Task<IReadOnlyList<string>> FlushGenerationAsync(FileSystemSnapshotStore target, long generation, string newFileName)
        {
            var folder = await target.CreateAssetGenerationAsync("s3", generation);
            Assert.That(LinuxNative.TryCreateHardLink(kept, Path.Combine(folder, "kept.bin")), Is.Zero);
            Assert.That(LinuxNative.TryCreateHardLink(changed, Path.Combine(folder, "changed.bin")), Is.Zero);
            await File.WriteAllTextAsync(Path.Combine(folder, newFileName), newFileName);
            fileSystem.Clear();
            await target.FlushAssetGenerationAsync("s3", generation);
            return [.. fileSystem.Operations.Where(o => o.Name == RecordingFileSystem.FlushFileToDiskOp).Select(o => Path.GetFileName(o.Path))];
        }

        var first = await FlushGenerationAsync(store, 1, "new-1.db");
        var second = await FlushGenerationAsync(store, 2, "new-2.db");
        await File.AppendAllTextAsync(changed, " and more"); // a change in place (size and mtime move): fsynced again
        var third = await FlushGenerationAsync(store, 3, "new-3.db");
        store.Dispose();
        var reopened = Open(fileSystem);
        var afterRestart = await FlushGenerationAsync(reopened, 4, "new-4.db");

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EquivalentTo(new[] { "kept.bin", "changed.bin", "new-1.db" }), "first flush: every file");
            Assert.That(second, Is.EquivalentTo(new[] { "new-2.db" }), "unchanged links already fsynced by this store are skipped");
            Assert.That(third, Is.EquivalentTo(new[] { "changed.bin", "new-3.db" }), "a changed file is fsynced again");
            Assert.That(afterRestart, Is.EquivalentTo(new[] { "kept.bin", "changed.bin", "new-4.db" }), "a new store knows nothing: every file");
        });
    }

    [Test]
    public async Task Flushing_a_generation_that_was_never_created_fails()
    {
        var store = Open();

        await Assert.ThrowsAsync<DirectoryNotFoundException>(async () => await store.FlushAssetGenerationAsync("s3", 1));
    }

    [Test]
    public async Task Delete_removes_the_state_file_before_the_asset_generations()
    {
        var fileSystem = new RecordingFileSystem();
        var store = Open(fileSystem);
        await store.CreateAssetGenerationAsync("s3", 1);
        await store.WriteAsync("s3", 1, StoreTestData.Json("doomed"));
        fileSystem.Clear();

        Assert.That(await store.DeleteAsync("s3"), Is.True);

        var operations = fileSystem.Operations.ToList();
        var deleteState = operations.IndexOf(new(RecordingFileSystem.DeleteFileOp, StatePath("s3")));
        var deleteGeneration = operations.IndexOf(new(RecordingFileSystem.DeleteDirectoryOp, Path.Combine(StateDirectory, "s3", "00000000000000000001")));
        Assert.That(deleteState, Is.GreaterThanOrEqualTo(0));
        Assert.That(deleteGeneration, Is.GreaterThan(deleteState), "a crash during a reset never leaves a state file naming deleted assets");
        Assert.That(operations[deleteState + 1].Name, Is.EqualTo(RecordingFileSystem.DeleteDirectoryOp).Or.EqualTo(RecordingFileSystem.FlushDirectoryOp));
        Assert.That(Directory.Exists(Path.GetDirectoryName(StatePath("s3"))), Is.False, "an empty service folder is removed");
    }

    [Test]
    public void The_state_folder_and_its_missing_parents_are_created()
    {
        var nested = Path.Combine(_root, "a", "b", "state");

        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = nested + Path.DirectorySeparatorChar });

        Assert.That(store.StateDirectory, Is.EqualTo(nested));
        Assert.That(File.Exists(Path.Combine(nested, ".lock")), Is.True);
    }

    [Test]
    public async Task After_dispose_every_method_throws_and_the_lock_is_free()
    {
        var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory });
        await store.WriteAsync("s3", 1, StoreTestData.Json("kept"));

        store.Dispose();
        store.Dispose();

        foreach (var (method, call) in SnapshotStoreChecks.StoreCalls(store, "s3"))
        {
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await call(), method);
        }

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.ListAllAsync());
        Assert.That(await Open().ReadPayloadAsync("s3"), Is.EqualTo(StoreTestData.Json("kept")));
    }

    [Test]
    public async Task A_payload_larger_than_the_limit_is_not_committed()
    {
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory, MaxSnapshotBytes = 10_000 });
        var previous = StoreTestData.Json("small", 1_000);
        await store.WriteAsync("s3", 1, previous);

        var error = await Assert.ThrowsAsync<SnapshotException>(async () => await store.WriteAsync("s3", 2, StoreTestData.Json("large", 20_000)));

        Assert.That(error!.Message, Does.Contain("10000 bytes"));
        Assert.That(await store.ReadPayloadAsync("s3"), Is.EqualTo(previous));
        AssertNoTempFiles();
    }

    [Test]
    public void Options_are_checked()
    {
        Assert.Throws<ArgumentNullException>(() => _ = new FileSystemSnapshotStore(null!));
        Assert.Catch<ArgumentException>(() => _ = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = " " }));
        Assert.Catch<ArgumentException>(() => _ = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory, MaxSnapshotBytes = 0 }));
        Assert.Catch<ArgumentException>(() => _ = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory, Compression = (SnapshotCompression)42 }));
    }

    private FileSystemSnapshotStore Open(IStoreFileSystem? fileSystem = null, SnapshotHeaderReader? readHeader = null)
    {
        var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory }, _time, fileSystem ?? StoreFileSystem.Instance, readHeader);
        _stores.Add(store);
        return store;
    }

    private string StatePath(string serviceName) => Path.Combine(StateDirectory, "api_states", serviceName, "store.state");

    private List<string> CorruptCopies(string serviceName)
        => [.. Directory.EnumerateFiles(Path.GetDirectoryName(StatePath(serviceName))!, "store.state.corrupt-*")];

    private void AssertNoTempFiles()
    {
        var temps = Directory.Exists(StateDirectory)
            ? Directory.EnumerateFiles(StateDirectory, "*.tmp", SearchOption.AllDirectories).ToList()
            : [];
        Assert.That(temps, Is.Empty);
    }

    /// <summary>The bytes of a complete, valid snapshot written by a store in a scratch folder.</summary>
    private async Task<byte[]> CompleteSnapshotBytesAsync(string serviceName, long generation, byte[] payload)
    {
        var scratch = Path.Combine(_root, "scratch");
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = scratch });
        var metadata = await store.WriteAsync(serviceName, generation, payload);
        return File.ReadAllBytes(metadata.Location);
    }
}
