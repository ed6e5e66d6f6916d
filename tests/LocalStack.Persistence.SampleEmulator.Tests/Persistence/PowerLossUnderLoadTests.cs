using System.Diagnostics;
using System.Globalization;
using LocalStack.Persistence.SampleEmulator.Tests.Support;
using LocalStack.Persistence.Tests.Reliability.PowerLoss;

namespace LocalStack.Persistence.SampleEmulator.Tests.Persistence;

/// <summary>
/// Power loss under AWS SDK write load (docs/reliability.md, "Power loss"): the sample runs under
/// <c>SNAPSHOT_SAVE_STRATEGY=ON_REQUEST</c> with its volume on <c>lazyfs.py</c>; at a seeded crash point the file system
/// freezes, the emulator is SIGKILLed and the unsynced changes are dropped (all, or a seeded choice). Then the committed
/// assets on what survived are checked, the emulator restarts on it, and every write the SDK saw acknowledged, in every
/// round so far, must be there. Crashes: <c>LSP_POWERLOSS_CRASHES</c> / 20 (5 by default, 50 in the long mode);
/// <c>LSP_POWERLOSS_SEED</c> replays a run.
/// </summary>
[NonParallelizable]
public sealed class PowerLossUnderLoadTests
{
    // Recorded file-system operations from the start of the load to the crash point: up to a few seconds of load.
    private const int MaxOperations = 3000;

    [Test]
    public async Task Every_acknowledged_write_survives_a_power_cut_under_load_round_after_round()
    {
        await LazyFsMount.RequireAsync();
        var seed = int.TryParse(Environment.GetEnvironmentVariable("LSP_POWERLOSS_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        var rounds = Math.Max(5, (int.TryParse(Environment.GetEnvironmentVariable("LSP_POWERLOSS_CRASHES"), NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : 100) / 20);
        TestContext.Out.WriteLine($"seed {seed} (replay with LSP_POWERLOSS_SEED={seed}), {rounds} crashes");

        using var root = new TempDirectory();
        await using var mount = await LazyFsMount.MountAsync(Path.Combine(root.Path, "disk"), Path.Combine(root.Path, "mnt"));
        var volume = mount.MountPoint;
        var environment = new Dictionary<string, string?> { ["SNAPSHOT_SAVE_STRATEGY"] = "ON_REQUEST", ["SNAPSHOT_LOAD_STRATEGY"] = "ON_REQUEST" };
        var clock = Stopwatch.StartNew();
        var ledger = new AcknowledgedWrites(clock);
        var verifier = new AcknowledgedWritesVerifier(ledger, seed);
        var assets = new AcknowledgedWritesAssets(ledger, volume);
        var random = new Random(seed);
        var acknowledged = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(30));

        for (var round = 0; round < rounds; round++)
        {
            var where = $"seed {seed} (LSP_POWERLOSS_SEED={seed}), round {round}";
            var crashPoint = random.Next(1, MaxOperations + 1);
            var keepSome = random.Next(4) != 0;
            var roundSeed = random.Next();
            var crashSeed = random.Next();
            string summary;
            await using (var emulator = await EmulatorProcess.StartAsync(volume, environment, timeout.Token))
            {
                if (round > 0)
                {
                    await VerifyAsync(emulator, verifier, round - 1, where);
                }

                var load = new LoadGenerator(emulator, ledger, round, roundSeed);
                var queueUrl = await load.CreateResourcesAsync(timeout.Token);
                await mount.ArmAsync(crashPoint);
                var writers = load.RunAsync(queueUrl);
                var frozen = await Task.WhenAny(mount.Frozen, Task.Delay(TimeSpan.FromMinutes(2), timeout.Token));
                Assert.That(frozen, Is.SameAs(mount.Frozen), $"{where}: the load did not reach crash point {crashPoint}");

                // The power cut: the disk stopped at the crash point; the writes that fail from here on are the ones it cut.
                load.MarkKilling();
                await emulator.KillAsync();
                await writers;
                Assert.That(ledger.UnexpectedErrors, Is.Empty, $"{where}: writes failed before the crash. Emulator output:\n{emulator.Output}");
                summary = await mount.CrashAsync(keepSome, crashSeed);
            }

            var findings = new Findings();
            await assets.VerifyAsync(round, findings);
            Assert.That(findings.Problems, Is.Empty, $"{where}, committed assets after the crash ({summary})");
            Assert.That(findings.Lost, Is.Empty, $"{where}, committed assets after the crash ({summary})");
            acknowledged += ledger.AcknowledgedCount(round);
            TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round}: crash point {crashPoint} ({(keepSome ? "random" : "all dropped")}: {summary}), acknowledged {ledger.AcknowledgedCount(round)}, s3/dynamodb generation {assets.CommittedGeneration("s3")}/{assets.CommittedGeneration("dynamodb")}"));
        }

        await using (var emulator = await EmulatorProcess.StartAsync(volume, environment, timeout.Token))
        {
            await VerifyAsync(emulator, verifier, rounds - 1, $"seed {seed}, after the last crash");
        }

        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sample under power loss: {rounds} crashes, seed {seed}: acknowledged writes {acknowledged}, {clock.Elapsed.TotalSeconds:F1} s"));
        Assert.That(acknowledged, Is.GreaterThan(rounds * 3), $"seed {seed}: too few acknowledged writes, the load proves little");
    }

    private static async Task VerifyAsync(EmulatorProcess emulator, AcknowledgedWritesVerifier verifier, int round, string where)
    {
        var findings = await verifier.VerifyAsync(emulator, round, CancellationToken.None);
        if (emulator.Output.Contains("fail:", StringComparison.Ordinal) || emulator.Output.Contains("crit:", StringComparison.Ordinal))
        {
            findings.Problems.Add("the restarted emulator logged an error");
        }

        Assert.That(findings.Problems, Is.Empty, $"{where}, restarted emulator. Emulator output:\n{emulator.Output}");
        Assert.That(findings.Lost, Is.Empty, $"{where}, restarted emulator: acknowledged writes lost");
    }
}
