using System.Collections.Concurrent;
using System.Text;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.AspNetCore.Tests.Support;

/// <summary>
/// A service with an asset: its state is a list of items, and its working file <c>items.txt</c> always holds the same
/// items (one per line). Every save stages that file (hard link) as the asset <c>items.txt</c>; a restore checks that
/// the asset matches the payload and then applies the state step by step, as real providers do (the sample's S3 clears
/// its store, then links file after file), so that a restore or reset cut short between two steps leaves items and
/// working file apart: a partial state that <see cref="ConsistentView"/> reports.
/// </summary>
internal sealed class AssetItemsProvider(string serviceName) : IServiceStateProvider
{
    public const string AssetName = "items.txt";

    private readonly Lock _sync = new();
    private readonly List<string> _items = [];

    public string ServiceName => serviceName;

    public int SchemaVersion => 1;

    /// <summary>Inconsistent states seen by a capture (a save of a partial state): each entry says what differed.</summary>
    public ConcurrentQueue<string> InconsistentCaptures { get; } = new();

    /// <summary>Adds an item to the state and the working file together (call it inside a mutating request).</summary>
    public void Add(string workingDirectory, string item)
    {
        lock (_sync)
        {
            _items.Add(item);
            WriteWorkingFile(workingDirectory, _items);
        }
    }

    /// <summary>The items, and the problem when the working file does not hold exactly them.</summary>
    public (string[] Items, string? Problem) ConsistentView(string workingDirectory)
    {
        lock (_sync)
        {
            var items = _items.ToArray();
            var path = Path.Combine(workingDirectory, AssetName);
            var working = File.Exists(path) ? Lines(File.ReadAllText(path)) : [];
            return (items, items.SequenceEqual(working, StringComparer.Ordinal)
                ? null
                : $"{serviceName}: {items.Length} items in memory but {working.Length} in its working file (first difference at {FirstDifference(items, working)})");
        }
    }

    public async ValueTask<IStateCapture> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken = default)
    {
        string[] view;
        var working = Path.Combine(context.WorkingDirectory, AssetName);
        lock (_sync)
        {
            view = [.. _items];
            if (!File.Exists(working))
            {
                WriteWorkingFile(context.WorkingDirectory, _items);
            }

            var onDisk = Lines(File.ReadAllText(working));
            if (!view.SequenceEqual(onDisk, StringComparer.Ordinal))
            {
                InconsistentCaptures.Enqueue($"{serviceName}: captured {view.Length} items with {onDisk.Length} in the working file");
            }
        }

        await context.StageFileAsync(working, AssetName, cancellationToken);
        return new Capture(string.Join('\n', view));
    }

    public async ValueTask RestoreAsync(SnapshotPayload payload, SnapshotContext context, CancellationToken cancellationToken = default)
    {
        using var reader = new StreamReader(payload.Content, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(cancellationToken);
        var asset = context.GetAssetPath(AssetName)
            ?? throw new SnapshotCorruptException(context.SnapshotLocation!, $"its asset '{AssetName}' is missing from generation {context.Generation}.");
        if (await File.ReadAllTextAsync(asset, cancellationToken) != text)
        {
            throw new SnapshotCorruptException(context.SnapshotLocation!, $"its asset '{asset}' does not hold the items of the state.");
        }

        // Step by step, each step a point where a cancellation can land.
        lock (_sync)
        {
            _items.Clear();
        }

        await SlowStepAsync(0, cancellationToken);
        var items = Lines(text);
        lock (_sync)
        {
            WriteWorkingFile(context.WorkingDirectory, items);
        }

        for (var i = 0; i < items.Length; i++)
        {
            var item = items[i];
            await SlowStepAsync(i, cancellationToken);
            lock (_sync)
            {
                _items.Add(item);
            }
        }
    }

    public async ValueTask ResetAsync(SnapshotContext context, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            _items.Clear();
        }

        await SlowStepAsync(0, cancellationToken);
        lock (_sync)
        {
            File.Delete(Path.Combine(context.WorkingDirectory, AssetName));
        }
    }

    // Stands for the I/O a real provider does per step (the sample's S3 links one file per object): every 50th step
    // waits a moment, so that a restore of a thousand items spans a few milliseconds in which a cancellation can land.
    // It orders nothing: no check depends on it.
    private static async ValueTask SlowStepAsync(int step, CancellationToken cancellationToken)
    {
        if (step % 50 == 0)
        {
            await Task.Delay(1, cancellationToken);
        }
        else
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static int FirstDifference(string[] a, string[] b)
    {
        var i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i])
        {
            i++;
        }

        return i;
    }

    // A new file renamed over the old one: the generations hard-link the old inode, which never changes.
    private static void WriteWorkingFile(string workingDirectory, IEnumerable<string> items)
    {
        var path = Path.Combine(workingDirectory, AssetName);
        File.WriteAllText(path + ".new", string.Join('\n', items));
        File.Move(path + ".new", path, overwrite: true);
    }

    private sealed class Capture(string text) : IStateCapture
    {
        public async ValueTask WriteToAsync(Stream destination, CancellationToken cancellationToken = default)
            => await destination.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
