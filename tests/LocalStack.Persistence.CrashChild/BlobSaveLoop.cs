using System.Globalization;
using System.Text;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.CrashChild;

/// <summary>
/// <c>blob-save-loop &lt;stateDir&gt; &lt;seed&gt;</c>: saves service <c>blobcrash</c> forever; each capture stores a new
/// working file and new in-memory bytes as blobs and reuses the previous file's blob, and the state lists the ids of the
/// last <see cref="KeptIds"/> blobs stored. Every third save is followed by a sweep whose live set is that list. Prints
/// <c>ready &lt;generation&gt;</c> after the load, <c>stored &lt;generation&gt;</c> when a capture has returned and
/// <c>ack &lt;generation&gt;</c> once its save is committed. The parent SIGKILLs it at random moments.
/// </summary>
internal static class BlobSaveLoop
{
    public const string ServiceName = "blobcrash";

    private const int KeptIds = 8;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 2 || !int.TryParse(args[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed))
        {
            await Console.Error.WriteLineAsync("usage: blob-save-loop <stateDir> <seed>");
            return 2;
        }

        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = args[0] });
        var snapshotter = new ServiceSnapshotter(store);
        var provider = new BlobListProvider(new Random(seed));
        var loaded = await snapshotter.LoadAsync(provider);
        StoreSaveLoop.Report($"ready {loaded?.Generation ?? 0}");

        while (true)
        {
            var pending = await snapshotter.CaptureAsync(provider);
            await using (pending)
            {
                StoreSaveLoop.Report($"stored {pending.Generation}");
                await snapshotter.CommitAsync(pending);
            }

            StoreSaveLoop.Report($"ack {pending.Generation}");
            if (pending.Generation % 3 == 0)
            {
                var live = provider.Ids.ToHashSet(StringComparer.Ordinal);
                await store.SweepBlobsAsync(ServiceName, _ => ValueTask.FromResult<IReadOnlySet<string>>(live), CancellationToken.None);
            }
        }
    }

    /// <summary>State: the ids of the last blobs stored, one per line.</summary>
    private sealed class BlobListProvider(Random random) : IServiceStateProvider
    {
        private string? _lastFile;

        public string ServiceName => BlobSaveLoop.ServiceName;

        public int SchemaVersion => 1;

        public List<string> Ids { get; private set; } = [];

        public async ValueTask<IStateCapture> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken = default)
        {
            var file = Path.Combine(context.WorkingDirectory, $"object-{context.Generation}.bin");
            var bytes = new byte[random.Next(16 * 1024, 512 * 1024)];
            random.NextBytes(bytes);
            await File.WriteAllBytesAsync(file, bytes, cancellationToken);

            var ids = new List<string>(Ids);
            if (_lastFile is not null && File.Exists(_lastFile))
            {
                ids.Add(await context.StoreBlobAsync(_lastFile, cancellationToken));
            }

            ids.Add(await context.StoreBlobAsync(file, cancellationToken));
            var memory = new byte[random.Next(1, 64 * 1024)];
            random.NextBytes(memory);
            ids.Add(await context.StoreBlobAsync(memory, cancellationToken));

            _lastFile = file;
            Ids = ids.Distinct(StringComparer.Ordinal).TakeLast(KeptIds).ToList();
            return new Capture(string.Join('\n', Ids));
        }

        public async ValueTask RestoreAsync(SnapshotPayload payload, SnapshotContext context, CancellationToken cancellationToken = default)
        {
            using var reader = new StreamReader(payload.Content, Encoding.UTF8);
            var ids = (await reader.ReadToEndAsync(cancellationToken)).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
            foreach (var id in ids)
            {
                _ = context.GetBlobPath(id);
            }

            Ids = ids;
        }

        public ValueTask ResetAsync(SnapshotContext context, CancellationToken cancellationToken = default)
        {
            Ids = [];
            return ValueTask.CompletedTask;
        }

        private sealed class Capture(string text) : IStateCapture
        {
            public async ValueTask WriteToAsync(Stream destination, CancellationToken cancellationToken = default)
                => await destination.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
