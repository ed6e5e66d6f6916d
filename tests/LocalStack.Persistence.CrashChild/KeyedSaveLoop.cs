using System.Globalization;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Tests.Shared;

namespace LocalStack.Persistence.CrashChild;

/// <summary>
/// <c>keyed-save-loop &lt;stateDir&gt; &lt;seed&gt;</c>: loads service <c>keyed</c> (a <see cref="KeyedCrashModel"/>),
/// prints <c>ready &lt;counter&gt;</c>, then forever applies save i = counter+1, counter+2, ... and saves it (a delta,
/// or a full base now and then), printing <c>ack &lt;i&gt;</c> once each save returns. Compaction bounds are tiny, so
/// background compactions (a new base written, deltas removed) run all the time and kills land inside them too.
/// </summary>
internal static class KeyedSaveLoop
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 2 || !int.TryParse(args[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed))
        {
            await Console.Error.WriteLineAsync("usage: keyed-save-loop <stateDir> <seed>");
            return 2;
        }

        var random = new Random(seed);
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = args[0] });
        var snapshotter = new ServiceSnapshotter(store) { Bounds = new CompactionBounds(MaxDeltas: 6, MinDeltaBytes: 4096, BaseFraction: 0.2) };
        var provider = new KeyedCrashModel();
        await snapshotter.LoadAsync(provider);

        // JIT the save paths (a base, a delta, a compaction) on another service, so that the parent's kill delays,
        // counted from "ready", fall on saves of steady length.
        var warmUp = new KeyedCrashModel(StoreSaveLoop.WarmUpServiceName);
        for (var i = 1; i <= 3; i++)
        {
            warmUp.ApplySave(i);
            await snapshotter.SaveAsync(warmUp);
        }

        await snapshotter.CompactAsync(StoreSaveLoop.WarmUpServiceName, CancellationToken.None);
        StoreSaveLoop.Report(string.Create(CultureInfo.InvariantCulture, $"ready {provider.Counter}"));

        for (var i = provider.Counter + 1; ; i++)
        {
            provider.ApplySave(i);
            if (random.Next(25) == 0)
            {
                provider.MarkAllChanged();
            }

            await snapshotter.SaveAsync(provider);
            StoreSaveLoop.Report(string.Create(CultureInfo.InvariantCulture, $"ack {i}"));
        }
    }
}
