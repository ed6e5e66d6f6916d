using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Testing;

namespace LocalStack.Persistence.Tests.Storage;

/// <summary>
/// Reliability case 12: hostile service names are rejected before any file-system call, nothing is created inside or
/// outside the state folder, and a symbolic link planted in the state folder is never followed out of it.
/// </summary>
public sealed class FileSystemSnapshotStoreHostileInputTests
{
    private string _root = null!;
    private readonly List<FileSystemSnapshotStore> _stores = [];

    // Deep enough that "../.." from any folder of the store still lands inside _root, where the tree is compared.
    private string StateDirectory => Path.Combine(_root, "x", "y", "state");

    private string Outside => Path.Combine(_root, "outside");

    [SetUp]
    public void CreateRoot()
    {
        _root = Directory.CreateTempSubdirectory("lsp-hostile-").FullName;
        Directory.CreateDirectory(Outside);
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

    public static IEnumerable<TestCaseData> Names()
        => SnapshotStoreChecks.HostileServiceNames
            .Append("api_states")
            .Append("../../../outside")
            .Append("x/../../outside")
            .Select(name => new TestCaseData(name).SetArgDisplayNames(Printable(name)));

    [TestCaseSource(nameof(Names))]
    public async Task A_hostile_name_is_rejected_by_every_method_and_nothing_is_created_anywhere(string name)
    {
        var store = Open();
        await store.WriteAsync("s3", 1, StoreTestData.Json("bystander"));
        var before = StoreTestData.Tree(_root);

        foreach (var (method, call) in SnapshotStoreChecks.StoreCalls(store, name))
        {
            var error = await Assert.CatchAsync<ArgumentException>(async () => await call(), method);

            Assert.That(error!.Message, Does.StartWith("Invalid service name"), method);
            Assert.That(StoreTestData.Tree(_root), Is.EqualTo(before), method);
        }
    }

    [Test]
    public void A_linked_lock_file_is_refused_and_its_target_is_left_alone()
    {
        var target = Path.Combine(Outside, "passwd");
        File.WriteAllText(target, "root:x:0:0");
        Directory.CreateDirectory(StateDirectory);
        var link = Path.Combine(StateDirectory, ".lock");
        File.CreateSymbolicLink(link, target);

        var error = Assert.Throws<SnapshotException>(() => Open());

        Assert.That(error!.Message, Does.Contain(link));
        Assert.That(File.ReadAllText(target), Is.EqualTo("root:x:0:0"));
    }

    [Test]
    public async Task A_linked_api_states_folder_is_refused_and_nothing_is_written_where_it_points()
    {
        Directory.CreateDirectory(StateDirectory);
        var link = Path.Combine(StateDirectory, "api_states");
        Directory.CreateSymbolicLink(link, Outside);
        var store = Open();

        await AssertRefusedAsync(link, () => store.WriteAsync("s3", 1, StoreTestData.Json("leak")).AsTask());
        await AssertRefusedAsync(link, () => store.OpenReadAsync("s3").AsTask());
        await AssertRefusedAsync(link, () => store.GetMetadataAsync("s3").AsTask());
        await AssertRefusedAsync(link, () => store.DeleteAsync("s3").AsTask());
        await AssertRefusedAsync(link, () => store.ListAllAsync());

        Assert.That(Directory.EnumerateFileSystemEntries(Outside), Is.Empty);
    }

    [Test]
    public async Task A_linked_service_state_folder_is_refused_and_its_target_is_left_alone()
    {
        var store = Open();
        await store.WriteAsync("sqs", 1, StoreTestData.Json("sqs"));
        var valid = await File.ReadAllBytesAsync(Path.Combine(StateDirectory, "api_states", "sqs", "store.state"));
        await File.WriteAllBytesAsync(Path.Combine(Outside, "store.state"), valid);
        await File.WriteAllBytesAsync(Path.Combine(Outside, "store.state.0123456789abcdef0123456789abcdef.tmp"), valid);
        var link = Path.Combine(StateDirectory, "api_states", "s3");
        Directory.CreateSymbolicLink(link, Outside);
        var outsideBefore = StoreTestData.Tree(Outside);

        await AssertRefusedAsync(link, () => store.WriteAsync("s3", 1, StoreTestData.Json("leak")).AsTask());
        await AssertRefusedAsync(link, () => store.OpenReadAsync("s3").AsTask());
        await AssertRefusedAsync(link, () => store.GetMetadataAsync("s3").AsTask());
        await AssertRefusedAsync(link, () => store.DeleteAsync("s3").AsTask());
        Assert.That((await store.ListAllAsync()).Select(m => m.ServiceName), Is.EqualTo(new[] { "sqs" }), "a linked folder is skipped by the listing");
        store.Dispose();
        _ = Open(); // start-up removes temp files, but not through a link

        Assert.That(StoreTestData.Tree(Outside), Is.EqualTo(outsideBefore));
    }

    [Test]
    public async Task A_linked_state_file_is_neither_read_nor_replaced()
    {
        var store = Open();
        await store.WriteAsync("s3", 1, StoreTestData.Json("s3"));
        var statePath = Path.Combine(StateDirectory, "api_states", "s3", "store.state");
        var target = Path.Combine(Outside, "elsewhere.state");
        File.Move(statePath, target);
        File.CreateSymbolicLink(statePath, target);
        var outsideBefore = StoreTestData.Tree(Outside);

        await AssertRefusedAsync(statePath, () => store.OpenReadAsync("s3").AsTask());
        await AssertRefusedAsync(statePath, () => store.GetMetadataAsync("s3").AsTask());
        await AssertRefusedAsync(statePath, () => store.WriteAsync("s3", 2, StoreTestData.Json("leak")).AsTask());
        await AssertRefusedAsync(statePath, () => store.DeleteAsync("s3").AsTask());
        Assert.That(await store.ListAllAsync(), Is.Empty);

        Assert.That(StoreTestData.Tree(Outside), Is.EqualTo(outsideBefore));
    }

    [Test]
    public async Task A_linked_service_asset_folder_is_refused_and_its_target_is_left_alone()
    {
        await File.WriteAllTextAsync(Path.Combine(Outside, "precious.txt"), "precious");
        Directory.CreateDirectory(Path.Combine(Outside, "00000000000000000001"));
        Directory.CreateDirectory(StateDirectory);
        var link = Path.Combine(StateDirectory, "s3");
        Directory.CreateSymbolicLink(link, Outside);
        var store = Open();
        var outsideBefore = StoreTestData.Tree(Outside);

        await AssertRefusedAsync(link, () => store.CreateAssetGenerationAsync("s3", 1).AsTask());
        await AssertRefusedAsync(link, () => store.FlushAssetGenerationAsync("s3", 1).AsTask());
        await AssertRefusedAsync(link, () => store.PruneAssetGenerationsAsync("s3", 2).AsTask());
        await AssertRefusedAsync(link, () => Task.FromResult(store.GetAssetGenerationDirectory("s3", 1)));
        await AssertRefusedAsync(link, () => Task.FromResult(store.GetWorkingDirectory("s3")));
        await AssertRefusedAsync(link, () => store.DeleteAsync("s3").AsTask());

        Assert.That(StoreTestData.Tree(Outside), Is.EqualTo(outsideBefore));
    }

    [Test]
    public async Task A_linked_generation_or_working_folder_is_refused_and_pruning_removes_only_the_link()
    {
        await File.WriteAllTextAsync(Path.Combine(Outside, "precious.txt"), "precious");
        var store = Open();
        var service = Path.Combine(StateDirectory, "s3");
        Directory.CreateDirectory(service);
        var generationLink = Path.Combine(service, "00000000000000000001");
        var workingLink = Path.Combine(service, "working");
        Directory.CreateSymbolicLink(generationLink, Outside);
        Directory.CreateSymbolicLink(workingLink, Outside);
        var outsideBefore = StoreTestData.Tree(Outside);

        await AssertRefusedAsync(generationLink, () => store.CreateAssetGenerationAsync("s3", 1).AsTask());
        await AssertRefusedAsync(generationLink, () => store.FlushAssetGenerationAsync("s3", 1).AsTask());
        await AssertRefusedAsync(generationLink, () => Task.FromResult(store.GetAssetGenerationDirectory("s3", 1)));
        await AssertRefusedAsync(workingLink, () => Task.FromResult(store.GetWorkingDirectory("s3")));
        await store.PruneAssetGenerationsAsync("s3", 2);

        Assert.That(new FileInfo(generationLink).LinkTarget, Is.Null, "the planted generation link is gone");
        Assert.That(Directory.Exists(generationLink), Is.False);
        Assert.That(StoreTestData.Tree(Outside), Is.EqualTo(outsideBefore));
    }

    [TestCase("escape", true)]
    [TestCase("sub/deeper/file.bin", false)]
    public async Task A_link_inside_a_staged_generation_is_refused_by_flush_and_removed_not_followed_by_prune(string relativeLink, bool toFolder)
    {
        var precious = Path.Combine(Outside, "precious.txt");
        await File.WriteAllTextAsync(precious, "precious");
        var store = Open();
        var generation = await store.CreateAssetGenerationAsync("s3", 1);
        await File.WriteAllTextAsync(Path.Combine(generation, "real.bin"), "real");
        var link = Path.Combine(generation, relativeLink);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        _ = toFolder ? Directory.CreateSymbolicLink(link, Outside) : File.CreateSymbolicLink(link, precious);
        var outsideBefore = StoreTestData.Tree(Outside);

        // A flush that skipped or followed the link would let a save commit it; it must refuse, naming the link.
        var error = await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await store.FlushAssetGenerationAsync("s3", 1));
        Assert.That(error!.Path, Is.EqualTo(link));
        Assert.That(error.Message, Does.Contain("symbolic link"));

        await store.PruneAssetGenerationsAsync("s3", 2);

        Assert.That(store.GetAssetGenerationDirectory("s3", 1), Is.Null);
        Assert.That(StoreTestData.Tree(Outside), Is.EqualTo(outsideBefore), "prune removed the link, not what it points to");
    }

    private FileSystemSnapshotStore Open()
    {
        var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory });
        _stores.Add(store);
        return store;
    }

    private static async Task AssertRefusedAsync(string linkPath, Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<SnapshotException>(async () => await call());
        Assert.That(error!.Message, Does.Contain(linkPath));
    }

    private static string Printable(string name)
    {
        var shown = name.Length > 20 ? $"{name[..8]}...({name.Length} chars)" : name;
        return shown.Length == 0 ? "(empty)" : shown.Replace("\0", "\\0", StringComparison.Ordinal);
    }
}
