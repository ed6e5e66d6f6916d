using System.Diagnostics;
using System.Globalization;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Tests.Support;

namespace LocalStack.Persistence.Tests.State;

public sealed class SnapshotAssetsTests : StoreTestBase
{
    [Test]
    public async Task A_blob_is_staged_by_hard_link_into_the_new_generation()
    {
        var provider = new BlobProvider();
        await provider.PutAsync(Store, "a.bin", "alpha");

        var metadata = await Snapshotter.SaveAsync(provider);

        var committed = CommittedPath(metadata.Generation, "blobs/a.bin");
        Assert.That(await File.ReadAllTextAsync(committed), Is.EqualTo("alpha"));
        var (device, inode, links) = Identity(committed);
        Assert.That(Identity(provider.WorkingPath(Store, "a.bin")), Is.EqualTo((device, inode, links)), "same inode: a hard link, not a copy");
        Assert.That(links, Is.EqualTo(2));
    }

    [Test]
    public async Task Working_changes_after_the_last_save_never_reach_the_committed_generation()
    {
        // MANUAL strategy semantics: only an explicit save captures; later changes stay in the working folder.
        var provider = new BlobProvider();
        await provider.PutAsync(Store, "a.bin", "saved");
        var metadata = await Snapshotter.SaveAsync(provider);

        await provider.PutAsync(Store, "a.bin", "unsaved replacement");
        await provider.PutAsync(Store, "new.bin", "unsaved new file");

        var generation = Store.GetAssetGenerationDirectory("blobs", metadata.Generation)!;
        Assert.That(await File.ReadAllTextAsync(CommittedPath(metadata.Generation, "blobs/a.bin")), Is.EqualTo("saved"));
        Assert.That(Directory.GetFiles(generation, "*", SearchOption.AllDirectories).Select(Path.GetFileName), Is.EqualTo(new[] { "a.bin" }));

        // A restart loads the saved version into the working folder.
        ReopenStore();
        var restarted = new BlobProvider();
        await Snapshotter.LoadAsync(restarted);
        Assert.That(restarted.Index.Blobs, Is.EqualTo(new[] { "a.bin" }));
        Assert.That(await File.ReadAllTextAsync(restarted.WorkingPath(Store, "a.bin")), Is.EqualTo("saved"));
        Assert.That(File.Exists(restarted.WorkingPath(Store, "new.bin")), Is.False);
    }

    [Test]
    public async Task A_blob_on_another_file_system_is_staged_by_copy()
    {
        // /dev/shm is a tmpfs on Linux, a different file system from the temp folder: link() fails with EXDEV.
        Assert.That(Directory.Exists("/dev/shm"), "this test needs /dev/shm (tmpfs)");
        var source = Path.Combine("/dev/shm", $"lsp-test-{Guid.NewGuid():N}.bin");
        try
        {
            await File.WriteAllTextAsync(source, "from tmpfs");
            Assert.That(Identity(source).Device, Is.Not.EqualTo(Identity(StateDirectory).Device), "precondition: different file systems");
            var provider = new RecordingProvider("blobs", [])
            {
                OnCapture = async (context, ct) => await context.StageFileAsync(source, "copied.bin", ct),
            };

            var metadata = await Snapshotter.SaveAsync(provider);
            var committed = CommittedPath(metadata.Generation, "copied.bin");
            await File.AppendAllTextAsync(source, " and changed in place");

            Assert.That(await File.ReadAllTextAsync(committed), Is.EqualTo("from tmpfs"));
            Assert.That(Identity(committed).Links, Is.EqualTo(1));
        }
        finally
        {
            File.Delete(source);
        }
    }

    [Test]
    public async Task Older_generations_are_removed_after_each_commit()
    {
        var provider = new BlobProvider();
        var generations = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            await provider.PutAsync(Store, "a.bin", $"v{i}");
            generations.Add((await Snapshotter.SaveAsync(provider)).Generation);
        }

        Assert.That(generations, Is.EqualTo(new long[] { 1, 2, 3 }));
        Assert.That(Store.GetAssetGenerationDirectory("blobs", 1), Is.Null);
        Assert.That(Store.GetAssetGenerationDirectory("blobs", 2), Is.Null);
        Assert.That(await File.ReadAllTextAsync(CommittedPath(3, "blobs/a.bin")), Is.EqualTo("v2"));
    }

    [Test]
    public async Task A_failed_commit_keeps_the_previous_generation_and_removes_the_staged_one()
    {
        var provider = new RecordingProvider("blobs", []) { Value = "good" };
        provider.OnCapture = async (context, ct) =>
            await context.StageAsync("data.txt", async (path, t) => await File.WriteAllTextAsync(path, provider.Value, t), ct);
        var good = await Snapshotter.SaveAsync(provider);

        provider.Value = "bad";
        provider.FailWrite = true;
        await Assert.ThrowsAsync<IOException>(async () => await Snapshotter.SaveAsync(provider));

        Assert.That(Store.GetAssetGenerationDirectory("blobs", good.Generation + 1), Is.Null, "the staged generation is removed");
        Assert.That(await File.ReadAllTextAsync(CommittedPath(good.Generation, "data.txt")), Is.EqualTo("good"));

        string? restoredAsset = null;
        var loaded = new RecordingProvider("blobs", [])
        {
            OnRestore = async (context, ct) => restoredAsset = await File.ReadAllTextAsync(context.GetAssetPath("data.txt")!, ct),
        };
        var metadata = await Snapshotter.LoadAsync(loaded);
        Assert.That(metadata!.Generation, Is.EqualTo(good.Generation));
        Assert.That(loaded.Value, Is.EqualTo("good"));
        Assert.That(restoredAsset, Is.EqualTo("good"), "state and assets of the same save");
    }

    [Test]
    public async Task A_save_that_stages_nothing_creates_no_generation_folder()
    {
        var provider = new RecordingProvider("plain", []) { Value = "x" };
        var metadata = await Snapshotter.SaveAsync(provider);

        Assert.That(Store.GetAssetGenerationDirectory("plain", metadata.Generation), Is.Null);

        var loaded = new RecordingProvider("plain", []) { OnRestore = (context, _) => { Assert.That(context.AssetDirectory, Is.Null); Assert.That(context.GetAssetPath("any.bin"), Is.Null); return default; } };
        await Snapshotter.LoadAsync(loaded);
        Assert.That(loaded.Value, Is.EqualTo("x"));
    }

    [Test]
    public async Task The_working_folder_is_the_same_for_every_operation_and_outside_every_generation()
    {
        var provider = new BlobProvider();
        await provider.PutAsync(Store, "a.bin", "alpha");
        var metadata = await Snapshotter.SaveAsync(provider);
        var saveWorking = provider.LastSaveContext!.WorkingDirectory;

        var loaded = new BlobProvider();
        await Snapshotter.LoadAsync(loaded);

        Assert.That(loaded.LastLoadContext!.WorkingDirectory, Is.EqualTo(saveWorking));
        Assert.That(saveWorking, Is.EqualTo(Store.GetWorkingDirectory("blobs")));
        var generation = Path.GetFullPath(Store.GetAssetGenerationDirectory("blobs", metadata.Generation)!);
        Assert.That(Path.GetFullPath(saveWorking).StartsWith(generation, StringComparison.Ordinal), Is.False);
        Assert.That(loaded.LastLoadContext.AssetDirectory, Is.EqualTo(Store.GetAssetGenerationDirectory("blobs", metadata.Generation)));
    }

    [Test]
    public async Task A_load_context_names_the_snapshot_being_restored_and_a_save_context_names_none()
    {
        var provider = new BlobProvider();
        await provider.PutAsync(Store, "a.bin", "alpha");
        var metadata = await Snapshotter.SaveAsync(provider);

        var loaded = new BlobProvider();
        await Snapshotter.LoadAsync(loaded);

        Assert.That(provider.LastSaveContext!.SnapshotLocation, Is.Null);
        Assert.That(loaded.LastLoadContext!.SnapshotLocation, Is.EqualTo(metadata.Location).And.EndsWith(Path.Combine("blobs", "store.state")));
    }

    [TestCase("a.bin")]
    [TestCase("000000000000_us-east-1.db")]
    [TestCase("buckets/my-bucket/0001.blob")]
    [TestCase("..a")]
    [TestCase("a..b/c")]
    public async Task Valid_asset_names_are_staged_inside_the_generation(string assetName)
    {
        string? staged = null;
        var provider = new RecordingProvider("names", [])
        {
            OnCapture = async (context, ct) => staged = await context.StageAsync(assetName, async (path, t) => await File.WriteAllTextAsync(path, "x", t), ct),
        };

        var metadata = await Snapshotter.SaveAsync(provider);

        var generation = Store.GetAssetGenerationDirectory("names", metadata.Generation)!;
        Assert.That(staged, Is.EqualTo(Path.Combine(generation, assetName.Replace('/', Path.DirectorySeparatorChar))));
        Assert.That(File.Exists(staged), Is.True);
    }

    [TestCase("")]
    [TestCase("/etc/passwd")]
    [TestCase("../escape")]
    [TestCase("a/../../escape")]
    [TestCase("a/./b")]
    [TestCase(".")]
    [TestCase("..")]
    [TestCase("a/")]
    [TestCase("a//b")]
    [TestCase("a\\b")]
    [TestCase("a b")]
    [TestCase("a\nb")]
    [TestCase("a.bin\n")]
    [TestCase("é.bin")]
    [TestCase(null)]
    public async Task Invalid_asset_names_are_rejected_and_nothing_is_written(string? assetName)
    {
        var provider = new RecordingProvider("names", [])
        {
            OnCapture = async (context, ct) => await context.StageAsync(assetName!, async (path, t) => await File.WriteAllTextAsync(path, "x", t), ct),
        };

        var error = (await Assert.ThrowsAsync<ArgumentException>(async () => await Snapshotter.SaveAsync(provider)))!;

        Assert.That(error.Message, Does.StartWith("Invalid asset name"));
        Assert.That(AssetNames.IsValid(assetName), Is.False);
        Assert.That(await Store.GetMetadataAsync("names"), Is.Null);
        Assert.That(Store.GetAssetGenerationDirectory("names", 1), Is.Null, "the failed save's staging folder is removed");
        Assert.That(File.Exists(Path.Combine(Path.GetDirectoryName(StateDirectory)!, "escape")), Is.False);
        Assert.That(Directory.EnumerateFiles(StateDirectory, "*escape*", SearchOption.AllDirectories), Is.Empty);
    }

    [Test]
    public void An_overlong_asset_name_is_rejected()
    {
        Assert.That(AssetNames.IsValid(new string('a', AssetNames.MaxLength)), Is.True);
        Assert.That(() => AssetNames.ThrowIfInvalid(new string('a', AssetNames.MaxLength + 1)), Throws.ArgumentException.With.Message.Contains("at most 255"));
    }

    [Test]
    public async Task Save_only_and_load_only_members_refuse_the_wrong_operation()
    {
        Exception? loadError = null, resetError = null, resetStageError = null;
        var provider = new RecordingProvider("misuse", [])
        {
            OnCapture = (context, _) =>
            {
                Assert.That(() => context.GetAssetPath("a.bin"), Throws.InvalidOperationException.With.Message.Contains("only available during a load"));
                Assert.That(context.AssetDirectory, Is.Null);
                return default;
            },
            OnRestore = async (context, ct) => loadError = await CatchAsync(() => context.StageFileAsync("/etc/hostname", "a.bin", ct).AsTask()),
        };
        await Snapshotter.SaveAsync(provider);
        await Snapshotter.LoadAsync(provider);
        await Snapshotter.ResetAsync(provider);

        var resetContext = provider.LastContext!;
        resetError = Catch(() => resetContext.GetAssetPath("a.bin"));
        resetStageError = await CatchAsync(() => resetContext.StageAsync("a.bin", (_, _) => default).AsTask());

        Assert.That(loadError, Is.InstanceOf<InvalidOperationException>().With.Message.Contains("only available during a save"));
        Assert.That(resetError, Is.InstanceOf<InvalidOperationException>());
        Assert.That(resetStageError, Is.InstanceOf<InvalidOperationException>());
        Assert.That(resetContext.Generation, Is.Zero);
    }

    [Test]
    public async Task Staging_after_the_capture_returned_is_refused()
    {
        var provider = new RecordingProvider("late", []);
        await using (var pending = await Snapshotter.CaptureAsync(provider))
        {
            var context = provider.LastContext!;
            await Assert.ThatAsync(async () => await context.StageAsync("late.bin", async (path, t) => await File.WriteAllTextAsync(path, "x", t)),
                Throws.InvalidOperationException.With.Message.Contains("has finished"));
            await Snapshotter.CommitAsync(pending);
        }
    }

    [Test]
    public async Task Staging_an_asset_twice_or_creating_nothing_is_refused()
    {
        var provider = new RecordingProvider("dupes", [])
        {
            OnCapture = async (context, ct) =>
            {
                await context.StageAsync("a.bin", async (path, t) => await File.WriteAllTextAsync(path, "x", t), ct);
                await Assert.ThatAsync(async () => await context.StageAsync("a.bin", async (path, t) => await File.WriteAllTextAsync(path, "y", t), ct),
                    Throws.InvalidOperationException.With.Message.Contains("already staged"));
                await Assert.ThatAsync(async () => await context.StageAsync("nothing.bin", (_, _) => default, ct),
                    Throws.InvalidOperationException.With.Message.Contains("created nothing"));
                await Assert.ThatAsync(async () => await context.StageFileAsync(Path.Combine(StateDirectory, "missing"), "missing.bin", ct),
                    Throws.InstanceOf<FileNotFoundException>());
            },
        };

        var metadata = await Snapshotter.SaveAsync(provider);
        Assert.That(await File.ReadAllTextAsync(CommittedPath(metadata.Generation, "a.bin", "dupes")), Is.EqualTo("x"));
    }

    [Test]
    public async Task Concurrent_stagings_of_one_capture_share_the_generation_folder()
    {
        var provider = new RecordingProvider("many", [])
        {
            OnCapture = async (context, ct) => await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
                context.StageAsync($"f{i}.bin", async (path, t) => await File.WriteAllTextAsync(path, i.ToString(CultureInfo.InvariantCulture), t), ct).AsTask())),
        };

        var metadata = await Snapshotter.SaveAsync(provider);

        Assert.That(Directory.GetFiles(Store.GetAssetGenerationDirectory("many", metadata.Generation)!), Has.Length.EqualTo(20));
    }

    [Test]
    public async Task A_committed_asset_file_replaced_by_a_symbolic_link_is_refused_on_load_naming_it()
    {
        using var outside = new TempDirectory();
        var secret = Path.Combine(outside.Path, "secret.txt");
        await File.WriteAllTextAsync(secret, "secret");
        var provider = new BlobProvider();
        await provider.PutAsync(Store, "a.bin", "alpha");
        var metadata = await Snapshotter.SaveAsync(provider);
        var asset = CommittedPath(metadata.Generation, "blobs/a.bin");
        File.Delete(asset);
        File.CreateSymbolicLink(asset, secret);

        var loaded = new BlobProvider();
        var error = await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await Snapshotter.LoadAsync(loaded));

        Assert.That(error!.Path, Is.EqualTo(asset));
        Assert.That(error.Message, Does.Contain(asset).And.Contain("symbolic link"));
        Assert.That(WorkingFilesHolding(loaded, "secret"), Is.Empty, "the link's target never reaches the working folder");
        Assert.That(loaded.Index.Blobs, Is.Empty);
    }

    [Test]
    public async Task A_folder_of_a_committed_generation_replaced_by_a_symbolic_link_is_refused_on_load_naming_it()
    {
        using var outside = new TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(outside.Path, "a.bin"), "secret");
        var provider = new BlobProvider();
        await provider.PutAsync(Store, "a.bin", "alpha");
        var metadata = await Snapshotter.SaveAsync(provider);
        var folder = Path.GetDirectoryName(CommittedPath(metadata.Generation, "blobs/a.bin"))!;
        Directory.Delete(folder, recursive: true);
        Directory.CreateSymbolicLink(folder, outside.Path);

        var loaded = new BlobProvider();
        var error = await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await Snapshotter.LoadAsync(loaded));

        Assert.That(error!.Path, Is.EqualTo(folder));
        Assert.That(error.Message, Does.Contain("symbolic link"));
        Assert.That(WorkingFilesHolding(loaded, "secret"), Is.Empty);
    }

    [Test]
    public async Task A_symbolic_link_anywhere_inside_a_folder_asset_is_refused_when_the_folder_is_asked_for()
    {
        using var outside = new TempDirectory();
        var secret = Path.Combine(outside.Path, "secret.txt");
        await File.WriteAllTextAsync(secret, "secret");
        var provider = new RecordingProvider("tree", []) { Value = "x" };
        provider.OnCapture = async (context, ct) => await context.StageAsync("tree", (path, _) =>
        {
            Directory.CreateDirectory(Path.Combine(path, "a", "b"));
            File.WriteAllText(Path.Combine(path, "a", "b", "leaf.txt"), "leaf");
            return default;
        }, ct);
        var metadata = await Snapshotter.SaveAsync(provider);
        var link = Path.Combine(Store.GetAssetGenerationDirectory("tree", metadata.Generation)!, "tree", "a", "b", "leaf.txt");
        File.Delete(link);
        File.CreateSymbolicLink(link, secret);

        string? folder = null;
        var loaded = new RecordingProvider("tree", []) { OnRestore = (context, _) => { folder = context.GetAssetPath("tree"); return default; } };
        var error = await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await Snapshotter.LoadAsync(loaded));

        Assert.That(error!.Path, Is.EqualTo(link));
        Assert.That(folder, Is.Null, "the folder is not handed out");
    }

    [Test]
    public async Task A_staged_symbolic_link_fails_the_save_and_keeps_the_previous_snapshot()
    {
        using var outside = new TempDirectory();
        var secret = Path.Combine(outside.Path, "secret.txt");
        await File.WriteAllTextAsync(secret, "secret");
        var provider = new RecordingProvider("blobs", []) { Value = "good" };
        var link = false;
        provider.OnCapture = async (context, ct) => await context.StageAsync("data.txt", async (path, t) =>
        {
            if (link)
            {
                File.CreateSymbolicLink(path, secret);
            }
            else
            {
                await File.WriteAllTextAsync(path, "good", t);
            }
        }, ct);
        var good = await Snapshotter.SaveAsync(provider);

        link = true;
        provider.Value = "linked";
        var error = await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await Snapshotter.SaveAsync(provider));

        Assert.That(error!.Path, Does.EndWith("data.txt"));
        Assert.That((await Store.GetMetadataAsync("blobs"))!.Generation, Is.EqualTo(good.Generation));
        Assert.That(Store.GetAssetGenerationDirectory("blobs", good.Generation + 1), Is.Null, "the staged generation is removed");
        Assert.That(await File.ReadAllTextAsync(CommittedPath(good.Generation, "data.txt")), Is.EqualTo("good"));
    }

    private static string[] WorkingFilesHolding(BlobProvider provider, string content)
        => [.. Directory.EnumerateFiles(provider.LastLoadContext?.WorkingDirectory ?? "/nonexistent-working", "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(f => File.ReadAllText(f) == content)];

    private string CommittedPath(long generation, string assetName, string serviceName = "blobs")
        => Path.Combine(Store.GetAssetGenerationDirectory(serviceName, generation) ?? throw new AssertionException($"generation {generation} has no folder"), assetName);

    private static (long Device, long Inode, int Links) Identity(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-L", "-c", "%d %i %h", path]) { RedirectStandardOutput = true })!;
        var fields = stat.StandardOutput.ReadToEnd().Trim().Split(' ');
        stat.WaitForExit();
        Assert.That(stat.ExitCode, Is.Zero, $"stat {path}");
        return (long.Parse(fields[0], CultureInfo.InvariantCulture), long.Parse(fields[1], CultureInfo.InvariantCulture), int.Parse(fields[2], CultureInfo.InvariantCulture));
    }

    private static Exception? Catch(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private static async Task<Exception?> CatchAsync(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>
    /// An emulator keeping immutable blobs in its working folder (written to a new file, then renamed over the old
    /// one), staged by hard link and restored by copy.
    /// </summary>
    private sealed class BlobProvider() : JsonServiceStateProvider<BlobIndex>("blobs", StateTestJsonContext.Default.BlobIndex)
    {
        public BlobIndex Index { get; private set; } = new();

        public SnapshotContext? LastSaveContext { get; private set; }

        public SnapshotContext? LastLoadContext { get; private set; }

        public string WorkingPath(LocalStack.Persistence.Storage.ISnapshotStore store, string name) => Path.Combine(store.GetWorkingDirectory(ServiceName), "blobs", name);

        public async Task PutAsync(LocalStack.Persistence.Storage.ISnapshotStore store, string name, string content)
        {
            var path = WorkingPath(store, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path + ".new", content);
            File.Move(path + ".new", path, overwrite: true);
            if (!Index.Blobs.Contains(name))
            {
                Index.Blobs.Add(name);
            }
        }

        protected override BlobIndex Capture() => Index;

        protected override async ValueTask<BlobIndex> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken)
        {
            LastSaveContext = context;
            foreach (var name in Index.Blobs)
            {
                await context.StageFileAsync(Path.Combine(context.WorkingDirectory, "blobs", name), "blobs/" + name, cancellationToken);
            }

            return Capture();
        }

        protected override ValueTask RestoreAsync(BlobIndex state, SnapshotContext context, CancellationToken cancellationToken)
        {
            LastLoadContext = context;
            var working = Path.Combine(context.WorkingDirectory, "blobs");
            if (Directory.Exists(working))
            {
                Directory.Delete(working, recursive: true);
            }

            Directory.CreateDirectory(working);
            foreach (var name in state.Blobs)
            {
                File.Copy(context.GetAssetPath("blobs/" + name) ?? throw new InvalidOperationException($"asset {name} missing"), Path.Combine(working, name));
            }

            Restore(state);
            return default;
        }

        protected override void Restore(BlobIndex state) => Index = state;

        protected override void Reset() => Index = new BlobIndex();
    }
}
