using LocalStack.Persistence.Storage.Internal;

namespace LocalStack.Persistence.Tests.Reliability.PowerLoss;

/// <summary>
/// The power-loss file system on its own (POWERLOSS.md): real file calls on the mount, a crash, then what the backing
/// folder — the disk the next mount sees — holds.
/// </summary>
[NonParallelizable]
public sealed class LazyFsSemanticsTests
{
    private string _root = null!;
    private LazyFsMount _mount = null!;

    private string Disk => _mount.BackingDirectory;

    private string Mounted => _mount.MountPoint;

    [SetUp]
    public async Task MountAsync()
    {
        await LazyFsMount.RequireAsync();
        _root = Directory.CreateTempSubdirectory("lsp-lazyfs-").FullName;
        Directory.CreateDirectory(Path.Combine(_root, "backing"));
        await File.WriteAllTextAsync(Path.Combine(_root, "backing", "old"), "durable before the mount");
        _mount = await LazyFsMount.MountAsync(Path.Combine(_root, "backing"), Path.Combine(_root, "mnt"));
    }

    [TearDown]
    public async Task UnmountAsync()
    {
        if (_mount is not null)
        {
            await _mount.DisposeAsync();
        }

        if (_root is not null)
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Test]
    public async Task A_write_without_fsync_is_lost_and_an_fsynced_file_survives()
    {
        await File.WriteAllTextAsync(At("lost"), "never fsynced");
        WriteSynced(At("kept"), "fsynced");
        LinuxNative.FsyncDirectory(Mounted);

        await _mount.CrashAsync(keepSome: false, seed: 1);
        await _mount.DisposeAsync();

        Assert.That(await File.ReadAllTextAsync(OnDisk("kept")), Is.EqualTo("fsynced"));
        Assert.That(await File.ReadAllTextAsync(OnDisk("lost")), Is.Empty, "the name was made durable by the folder fsync, the data was not");
        Assert.That(await File.ReadAllTextAsync(OnDisk("old")), Is.EqualTo("durable before the mount"));
    }

    [Test]
    public async Task A_rename_without_a_folder_fsync_reverts_and_with_one_survives()
    {
        Directory.CreateDirectory(At("a"));
        Directory.CreateDirectory(At("b"));
        LinuxNative.FsyncDirectory(Mounted);
        WriteSynced(At("a/x"), "x");
        WriteSynced(At("b/y"), "y");
        LinuxNative.FsyncDirectory(At("a"));
        LinuxNative.FsyncDirectory(At("b"));

        File.Move(At("a/x"), At("a/x2"));
        File.Move(At("b/y"), At("b/y2"));
        LinuxNative.FsyncDirectory(At("b"));
        File.Move(At("old"), At("new"), overwrite: true);

        await _mount.CrashAsync(keepSome: false, seed: 1);
        await _mount.DisposeAsync();

        Assert.That(Names(), Is.EquivalentTo(new[] { "a", "a/x", "b", "b/y2", "old" }));
    }

    [Test]
    public async Task A_creation_or_deletion_without_a_folder_fsync_is_undone_even_when_the_file_was_fsynced()
    {
        WriteSynced(At("fsynced-but-not-linked"), "data");
        File.Delete(At("old"));
        Directory.CreateDirectory(At("folder"));
        WriteSynced(At("folder/inner"), "inner");
        LinuxNative.FsyncDirectory(At("folder")); // its entries are durable, but the folder itself is not linked durably

        await _mount.CrashAsync(keepSome: false, seed: 1);
        await _mount.DisposeAsync();

        Assert.That(Names(), Is.EquivalentTo(new[] { "old" }));
    }

    [Test]
    public async Task A_hard_link_is_durable_after_its_folder_fsync_and_shares_the_synced_data()
    {
        WriteSynced(At("first"), "shared");
        Assert.That(LinuxNative.TryCreateHardLink(At("first"), At("second")), Is.Zero);
        LinuxNative.FsyncDirectory(Mounted);
        File.AppendAllText(At("first"), " and more, never fsynced");

        await _mount.CrashAsync(keepSome: false, seed: 1);
        await _mount.DisposeAsync();

        Assert.That(await File.ReadAllTextAsync(OnDisk("second")), Is.EqualTo("shared"));
        File.AppendAllText(OnDisk("first"), "!");
        Assert.That(await File.ReadAllTextAsync(OnDisk("second")), Is.EqualTo("shared!"), "still one file with two names");
    }

    [Test]
    public async Task A_random_crash_keeps_a_prefix_of_a_files_unsynced_writes_cut_at_a_sector()
    {
        const int Writes = 8;
        const int Length = 4096;
        var lengths = new HashSet<long>();
        for (var seed = 0; seed < 12; seed++)
        {
            var name = $"file{seed}";
            WriteSynced(At(name), string.Empty);
            LinuxNative.FsyncDirectory(Mounted);
            using (var file = new FileStream(At(name), FileMode.Open, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                for (var i = 0; i < Writes; i++)
                {
                    file.Write(Enumerable.Repeat((byte)('a' + i), Length).ToArray());
                }
            }

            await _mount.CrashAsync(keepSome: true, seed);

            var bytes = await File.ReadAllBytesAsync(OnDisk(name));
            Assert.That(bytes.Length % 512, Is.Zero, $"seed {seed}: whole sectors");
            for (var k = 0; k < bytes.Length; k++)
            {
                Assert.That(bytes[k], Is.EqualTo((byte)('a' + (k / Length))), $"seed {seed}: byte {k} is not the prefix of the writes in order");
            }

            lengths.Add(bytes.Length);
        }

        Assert.That(lengths, Has.Count.GreaterThan(3), "different seeds keep different prefixes");
    }

    [Test]
    public async Task A_random_crash_keeps_a_prefix_of_the_unsynced_folder_operations_in_their_order()
    {
        var kept = new HashSet<int>();
        for (var seed = 0; seed < 16; seed++)
        {
            var folder = $"folder{seed}";
            Directory.CreateDirectory(At(folder));
            LinuxNative.FsyncDirectory(Mounted);
            for (var i = 0; i < 6; i++)
            {
                WriteSynced(At($"{folder}/f{i}"), "x");
            }

            await _mount.CrashAsync(keepSome: true, seed);

            var names = Directory.GetFiles(OnDisk(folder)).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            Assert.That(names, Is.EqualTo(Enumerable.Range(0, names.Count).Select(i => $"f{i}").ToList()), $"seed {seed}: a prefix in creation order");
            kept.Add(names.Count);
        }

        Assert.That(kept, Has.Count.GreaterThan(2), "different seeds keep different prefixes");
    }

    [Test]
    public async Task After_the_crash_point_every_operation_fails_and_nothing_more_reaches_the_disk()
    {
        WriteSynced(At("before"), "before");
        LinuxNative.FsyncDirectory(Mounted);
        await _mount.ArmAsync(0);

        Assert.That(() => WriteSynced(At("after"), "after"), Throws.InstanceOf<IOException>());
        Assert.That(await _mount.Frozen, Is.GreaterThan(0));
        Assert.That(() => File.Move(At("before"), At("renamed")), Throws.InstanceOf<IOException>());
        Assert.That(() => File.ReadAllText(At("before")), Throws.InstanceOf<IOException>());

        await _mount.CrashAsync(keepSome: true, seed: 7);
        await _mount.DisposeAsync();

        Assert.That(Names(), Is.EquivalentTo(new[] { "before", "old" }));
    }

    [Test]
    public async Task The_next_mount_reads_what_survived()
    {
        WriteSynced(At("kept"), "kept");
        LinuxNative.FsyncDirectory(Mounted);
        await File.WriteAllTextAsync(At("kept"), "overwritten, not fsynced");
        await _mount.CrashAsync(keepSome: false, seed: 1);
        await _mount.DisposeAsync();

        _mount = await LazyFsMount.MountAsync(Disk, Mounted);

        Assert.That(await File.ReadAllTextAsync(At("kept")), Is.EqualTo("kept"));
    }

    [Test]
    public async Task After_a_crash_the_same_mount_serves_what_survived_and_records_again()
    {
        Directory.CreateDirectory(At("dir"));
        LinuxNative.FsyncDirectory(Mounted);
        WriteSynced(At("dir/kept"), "kept");
        LinuxNative.FsyncDirectory(At("dir"));
        await File.WriteAllTextAsync(At("dir/kept"), "overwritten, not fsynced");
        await File.WriteAllTextAsync(At("dir/lost"), "never fsynced");
        await _mount.CrashAsync(keepSome: false, seed: 1);

        Assert.That(await File.ReadAllTextAsync(At("dir/kept")), Is.EqualTo("kept"));
        Assert.That(File.Exists(At("dir/lost")), Is.False);

        await File.WriteAllTextAsync(At("dir/second"), "not fsynced either");
        await _mount.CrashAsync(keepSome: false, seed: 1);
        Assert.That(Directory.GetFiles(At("dir")).Select(Path.GetFileName), Is.EquivalentTo(new[] { "kept" }));
    }

    private static void WriteSynced(string path, string text)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        file.Write(System.Text.Encoding.UTF8.GetBytes(text));
        file.Flush(flushToDisk: true);
    }

    private string At(string relative) => Path.Combine(Mounted, relative);

    private string OnDisk(string relative) => Path.Combine(Disk, relative);

    private List<string> Names() => [.. Directory.EnumerateFileSystemEntries(Disk, "*", SearchOption.AllDirectories)
        .Select(p => Path.GetRelativePath(Disk, p).Replace('\\', '/'))];
}
