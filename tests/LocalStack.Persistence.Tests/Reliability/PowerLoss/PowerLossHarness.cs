using System.Diagnostics;
using System.Globalization;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Tests.Storage;

namespace LocalStack.Persistence.Tests.Reliability.PowerLoss;

/// <summary>What one run of the power-loss harness saw.</summary>
internal sealed class PowerLossResult
{
    public int Crashes { get; set; }

    /// <summary>Crashes that rewrote the disk to its durable layer only; the others kept a seeded choice of the rest.</summary>
    public int CrashesDroppingAll { get; set; }

    /// <summary>The highest acknowledged value (save number, row count) seen by a child in any round.</summary>
    public long Acknowledged { get; set; }

    /// <summary>Loads that returned what was in flight at the crash (newer than the last acknowledgement).</summary>
    public int InFlightKept { get; set; }

    /// <summary>The number of crashes until the first failure was seen (all lanes, when they stop at it); 0 when none.</summary>
    public int FirstFailureAt { get; set; }

    public TimeSpan Duration { get; set; }

    public List<string> Failures { get; } = [];

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"crashes={Crashes} droppingAll={CrashesDroppingAll} lastAcknowledged={Acknowledged} inFlightKept={InFlightKept} firstFailureAt={FirstFailureAt} failures={Failures.Count} duration={Duration.TotalSeconds:F1}s");
}

/// <summary>
/// Power cuts under a saving child: mounts <c>lazyfs.py</c>, arms a crash point (a seeded number of recorded file-system
/// operations), starts a crash child that saves in a loop on the mount, waits until the file system freezes at that
/// point, SIGKILLs the child, drops the volatile layer (all of it, or a seeded choice of it) and checks what survived
/// with a fresh store (on the same mount, which then serves the surviving disk; every tenth round on a new mount). One state folder for all rounds: each round starts from what the last one
/// left. Everything is derived from one seed; a failure names the seed and the round.
/// </summary>
internal static class PowerLossHarness
{
    private const int RemountEvery = 10;

    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Checks the state folder (on the new mount) after a crash: the value loaded (save number, row count) or what is
    /// wrong with it. <c>floor</c> is the newest value known durable: acknowledged by a child, or loaded before.
    /// </summary>
    public delegate Task<(long Loaded, string? Problem)> Check(string stateDirectory, long floor);

    /// <param name="root">A folder for the backing folder (the disk) and the mount point.</param>
    /// <param name="childArguments">The crash child's mode and arguments; <c>{state}</c> and <c>{seed}</c> are replaced.</param>
    /// <param name="crashes">How many crashes, at most.</param>
    /// <param name="seed">Seeds every choice; printed, and replayed with <c>LSP_POWERLOSS_SEED</c>.</param>
    /// <param name="maxOperations">Crash points are drawn from 1 to this many recorded operations after the child starts.</param>
    /// <param name="check">Checks what survived.</param>
    /// <param name="stopAtFirstFailure">Stop at the first failure (to count how many crashes a mutant needs).</param>
    /// <param name="lanes">Independent lanes (own mount, own state folder) that run at once, so that one lane's child
    /// starts while another's waits; the crashes are shared out between them.</param>
    public static async Task<PowerLossResult> RunAsync(
        string root, string[] childArguments, int crashes, int seed, int maxOperations, Check check, bool stopAtFirstFailure = false, int lanes = 1)
    {
        var clock = Stopwatch.StartNew();
        using var caught = new CancellationTokenSource(); // with stopAtFirstFailure: the first failure in any lane stops them all
        var results = await Task.WhenAll(Enumerable.Range(0, lanes).Select(lane => Task.Run(() => RunLaneAsync(
            Path.Combine(root, $"lane{lane}"), lane, childArguments, (crashes / lanes) + (lane < crashes % lanes ? 1 : 0), seed, maxOperations, check, stopAtFirstFailure ? caught : null))));

        var total = new PowerLossResult { Duration = clock.Elapsed };
        foreach (var result in results)
        {
            total.Crashes += result.Crashes;
            total.CrashesDroppingAll += result.CrashesDroppingAll;
            total.Acknowledged = Math.Max(total.Acknowledged, result.Acknowledged);
            total.InFlightKept += result.InFlightKept;
            total.Failures.AddRange(result.Failures);
        }

        // Stopped at the first failure: the crashes of all lanes until then (the other lanes finish the round they are in).
        total.FirstFailureAt = total.Failures.Count == 0 ? 0 : stopAtFirstFailure ? total.Crashes : results.Where(r => r.FirstFailureAt > 0).Min(r => r.FirstFailureAt);
        return total;
    }

    private static async Task<PowerLossResult> RunLaneAsync(
        string root, int lane, string[] childArguments, int crashes, int seed, int maxOperations, Check check, CancellationTokenSource? stopAtFirstFailure)
    {
        var result = new PowerLossResult();
        var backing = Path.Combine(root, "disk");
        var mountPoint = Path.Combine(root, "mnt");
        var stateDirectory = Path.Combine(mountPoint, "state");
        long floor = 0;

        var mount = await LazyFsMount.MountAsync(backing, mountPoint);
        try
        {
            for (var round = 0; round < crashes && stopAtFirstFailure?.IsCancellationRequested != true; round++)
            {
                // Not HashCode.Combine: it is randomized per process, and a seed must replay.
                var random = new Random(unchecked((seed * 7_919) + (lane * 1_000_003) + round) & int.MaxValue);
                var where = string.Create(CultureInfo.InvariantCulture, $"seed {seed} (LSP_POWERLOSS_SEED={seed}), lane {lane}, round {round}");
                var crashPoint = random.Next(1, maxOperations + 1);
                var keepSome = random.Next(4) != 0;
                var childSeed = random.Next();

                await mount.ArmAsync(crashPoint);
                long acknowledged;
                using (var child = CrashChildProcess.Start([.. childArguments.Select(a => a
                    .Replace("{state}", stateDirectory, StringComparison.Ordinal)
                    .Replace("{seed}", childSeed.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))]))
                {
                    var exited = child.Exited;
                    if (await Task.WhenAny(mount.Frozen, exited, Task.Delay(ChildTimeout)) == exited)
                    {
                        // A writer that hit the freeze may exit on its EIO before the "frozen" line is read. The file system
                        // prints that line before it fails the operation and answers in order, so once a later command is
                        // answered the line has been read if the freeze happened.
                        await mount.StatsAsync();
                    }

                    if (!mount.Frozen.IsCompleted)
                    {
                        // A child that stops before the crash point failed to start on what the last crash left (a torn
                        // snapshot it refuses to overwrite, for instance): that is a finding, not a harness error.
                        await child.KillAsync();
                        result.Failures.Add(exited.IsCompleted
                            ? $"{where}: the writer stopped before crash point {crashPoint}, on what the last crash left: {child.StandardError}"
                            : $"{where}: the file system did not reach crash point {crashPoint} within {ChildTimeout}; child stderr: {child.StandardError}");
                        result.FirstFailureAt = round + 1;
                        if (stopAtFirstFailure is not null)
                        {
                            await stopAtFirstFailure.CancelAsync();
                        }

                        break;
                    }

                    // The writer stops here: nothing it does after the freeze reaches the disk, and no line after the kill is read.
                    await child.KillAsync();
                    acknowledged = child.LastAcknowledged;
                }

                var summary = await mount.CrashAsync(keepSome, random.Next());
                if (round % RemountEvery == RemountEvery - 1)
                {
                    // The same mount serves the surviving disk after a crash (caches off); a real remount now and then as well.
                    await mount.DisposeAsync();
                    mount = await LazyFsMount.MountAsync(backing, mountPoint);
                }

                result.Crashes++;
                result.CrashesDroppingAll += keepSome ? 0 : 1;
                floor = Math.Max(floor, acknowledged);
                result.Acknowledged = Math.Max(result.Acknowledged, acknowledged);

                var (loaded, problem) = await check(stateDirectory, floor);
                if (problem is null && loaded < floor)
                {
                    problem = $"loaded {loaded} but {floor} was acknowledged";
                }

                if (problem is not null)
                {
                    result.Failures.Add($"{where}: {problem} (crash point {crashPoint}, {(keepSome ? "random" : "all dropped")}: {summary})");
                    result.FirstFailureAt = result.FirstFailureAt == 0 ? round + 1 : result.FirstFailureAt;
                    if (stopAtFirstFailure is not null)
                    {
                        await stopAtFirstFailure.CancelAsync();
                        break;
                    }

                    // Start again from an empty disk so that the run goes on and reports all figures.
                    await mount.DisposeAsync();
                    Directory.Delete(backing, recursive: true);
                    mount = await LazyFsMount.MountAsync(backing, mountPoint);
                    floor = 0;
                    continue;
                }

                result.InFlightKept += loaded > acknowledged ? 1 : 0;
                floor = loaded;
            }
        }
        finally
        {
            await mount.DisposeAsync();
        }

        return result;
    }

    /// <summary>
    /// The store's save loop: the snapshot loads, is complete (hash of its content), no temp file survives the start; the
    /// child's warm-up snapshot (service <c>warmup</c>, saved once per start) loads too.
    /// </summary>
    public static async Task<(long Loaded, string? Problem)> CheckStoreAsync(string stateDirectory, long floor)
    {
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = stateDirectory });
        if (KillHarness.TempFiles(stateDirectory) is { Count: > 0 } left)
        {
            return (0, $"temp files survived the start-up: {string.Join(", ", left)}");
        }

        try
        {
            await using var warmUp = await store.OpenReadAsync("warmup");
            if (warmUp is not null)
            {
                await warmUp.Payload.CopyToAsync(Stream.Null); // checksums are verified to the end of the payload
            }
        }
        catch (SnapshotException ex)
        {
            return (0, $"the warm-up snapshot: {ex.Message}");
        }

        return await KillHarness.LoadAsync(store);
    }

    /// <summary>The value of <c>LSP_POWERLOSS_CRASHES</c>, else <paramref name="fallback"/>.</summary>
    public static int Crashes(int fallback)
        => int.TryParse(Environment.GetEnvironmentVariable("LSP_POWERLOSS_CRASHES"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : fallback;

    /// <summary>The value of <c>LSP_POWERLOSS_SEED</c>, else a fresh seed; printed either way so that a run can be replayed.</summary>
    public static int Seed(string test)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("LSP_POWERLOSS_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out var s)
            ? s
            : Random.Shared.Next();
        TestContext.Out.WriteLine($"{test}: seed {seed} (replay with LSP_POWERLOSS_SEED={seed})");
        return seed;
    }
}
