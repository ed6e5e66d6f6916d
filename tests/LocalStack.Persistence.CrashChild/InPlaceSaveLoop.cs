using System.Globalization;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.CrashChild;

/// <summary>
/// <c>inplace-save-loop &lt;stateDir&gt; &lt;seed&gt;</c>: the control of the kill harness. It saves the same snapshot bytes
/// as <see cref="StoreSaveLoop"/> but the way the anti-patterns do: straight into <c>store.state</c>, truncated and
/// rewritten in place, with no temp file and no fsync. The harness must catch the torn files it leaves.
/// </summary>
/// <remarks>
/// Each save truncates <c>store.state</c> first, then produces the bytes of save i with a real
/// <see cref="FileSystemSnapshotStore"/> in a scratch folder (<c>&lt;stateDir&gt;.scratch</c>) and writes them into the
/// open file in 16 KB writes, as a serializer streaming into a file opened with <c>open(path, "wb")</c> would.
/// </remarks>
internal static class InPlaceSaveLoop
{
    private const int ChunkSize = 16 * 1024;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 2)
        {
            await Console.Error.WriteLineAsync("usage: inplace-save-loop <stateDir> <seed>");
            return 2;
        }

        var stateDirectory = args[0];
        var seed = int.Parse(args[1], CultureInfo.InvariantCulture);
        long generation;
        using (var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = stateDirectory }))
        {
            try
            {
                generation = (await store.GetMetadataAsync(StoreSaveLoop.ServiceName))?.Generation ?? 0;
            }
            catch (SnapshotException)
            {
                generation = 0;
            }
        }

        var scratchDirectory = Path.TrimEndingDirectorySeparator(stateDirectory) + ".scratch";
        using var scratch = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = scratchDirectory });
        var scratchFile = Path.Combine(scratchDirectory, "api_states", StoreSaveLoop.ServiceName, "store.state");
        var statePath = Path.Combine(stateDirectory, "api_states", StoreSaveLoop.ServiceName, "store.state");
        Directory.CreateDirectory(Path.GetDirectoryName(statePath)!);
        StoreSaveLoop.Report($"ready {generation}");

        for (var i = generation + 1; ; i++)
        {
            // Like open(path, "wb") followed by serialization into the open file: the old snapshot is gone from here on.
            using (var file = new FileStream(statePath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0))
            {
                var payload = StoreSaveLoop.CreatePayload(seed, i);
                await scratch.WriteAsync(new SnapshotWriteRequest(StoreSaveLoop.ServiceName, 1, i), (destination, ct) => destination.WriteAsync(payload, ct));
                var bytes = await File.ReadAllBytesAsync(scratchFile);
                for (var offset = 0; offset < bytes.Length; offset += ChunkSize)
                {
                    file.Write(bytes, offset, Math.Min(ChunkSize, bytes.Length - offset));
                }
            }

            StoreSaveLoop.Report($"ack {i}");
        }
    }
}
