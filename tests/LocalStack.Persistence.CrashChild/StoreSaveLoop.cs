using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.CrashChild;

/// <summary>
/// <c>store-save-loop &lt;stateDir&gt; &lt;seed&gt; [mutant]</c>: opens a <see cref="FileSystemSnapshotStore"/>, saves service
/// <c>warmup</c> once, prints <c>ready &lt;generation of service crash&gt;</c>, then saves snapshot i = generation+1, generation+2, ... through the store and prints
/// <c>ack &lt;i&gt;</c> after each save returns, until it is killed. With a <see cref="WriterMutant"/> name the store writes
/// the mutant's broken way (the power-loss harness must catch it).
/// </summary>
/// <remarks>
/// Each payload is JSON <c>{"i":..,"seed":..,"length":..,"sha256":..,"content":..}</c>: 64 KB to 1 MB of
/// deterministic letters and their hash, so that a reader can tell a complete snapshot from a torn one, and
/// which save it is (the header's generation is i as well).
/// </remarks>
internal static class StoreSaveLoop
{
    public const string ServiceName = "crash";

    public const string WarmUpServiceName = "warmup";

    private const int MinContentLength = 64 * 1024;
    private const int MaxContentLength = 1024 * 1024;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length is not (2 or 3))
        {
            await Console.Error.WriteLineAsync("usage: store-save-loop <stateDir> <seed> [mutant]");
            return 2;
        }

        var seed = int.Parse(args[1], CultureInfo.InvariantCulture);
        using var store = WriterMutant.OpenStore(args[0], args.Length == 3 ? args[2] : null);
        var generation = (await store.GetMetadataAsync(ServiceName))?.Generation ?? 0;

        // The first save JITs the whole write path (100 ms and more); do it on another service so that the parent's
        // kill delays, counted from "ready", fall on saves of steady length.
        var warmUp = CreatePayload(seed, 0);
        await store.WriteAsync(new SnapshotWriteRequest(WarmUpServiceName, 1, 1), (destination, ct) => destination.WriteAsync(warmUp, ct));
        Report($"ready {generation}");

        for (var i = generation + 1; ; i++)
        {
            var payload = CreatePayload(seed, i);
            await store.WriteAsync(new SnapshotWriteRequest(ServiceName, 1, i), (destination, ct) => destination.WriteAsync(payload, ct));
            Report($"ack {i}");
        }
    }

    /// <summary>The UTF-8 JSON payload of save <paramref name="i"/>; its size varies so that kills land in every phase of a write.</summary>
    public static byte[] CreatePayload(int seed, long i)
    {
        var random = new Random(unchecked((seed * 1_000_003) + (int)i));
        var content = new byte[random.Next(MinContentLength, MaxContentLength + 1)];
        random.NextBytes(content);
        for (var k = 0; k < content.Length; k++)
        {
            content[k] = (byte)('a' + (content[k] % 26));
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(content));
        var prefix = Encoding.UTF8.GetBytes(FormattableString.Invariant($"{{\"i\":{i},\"seed\":{seed},\"length\":{content.Length},\"sha256\":\"{hash}\",\"content\":\""));
        return [.. prefix, .. content, .. "\"}"u8];
    }

    /// <summary>Prints one line and flushes it, so that the parent sees it before any kill that follows.</summary>
    public static void Report(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}
