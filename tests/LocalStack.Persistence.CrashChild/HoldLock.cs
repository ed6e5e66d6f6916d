using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.CrashChild;

/// <summary>
/// <c>hold-lock &lt;stateDir&gt;</c>: opens a <see cref="FileSystemSnapshotStore"/> (taking the state folder's lock),
/// prints <c>locked &lt;pid&gt;</c> and holds the lock until stdin closes or the process is killed.
/// </summary>
internal static class HoldLock
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 1)
        {
            await Console.Error.WriteLineAsync("usage: hold-lock <stateDir>");
            return 2;
        }

        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = args[0] });
        StoreSaveLoop.Report($"locked {Environment.ProcessId}");
        await Console.In.ReadToEndAsync();
        return 0;
    }
}
