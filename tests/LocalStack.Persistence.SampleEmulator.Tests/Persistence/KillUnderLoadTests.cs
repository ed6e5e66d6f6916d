using System.Diagnostics;
using System.Globalization;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.Persistence;

/// <summary>
/// Issue 7: under <c>SNAPSHOT_SAVE_STRATEGY=ON_REQUEST</c>, every write the AWS SDK saw acknowledged survives a SIGKILL
/// at a random moment with writes in flight, round after round on one volume. Each round restarts on the volume the
/// last round killed, checks the committed assets on disk and every acknowledged write of every round so far, then
/// loads again and kills. A control round under MANUAL proves that the same checks report lost writes.
/// </summary>
[NonParallelizable]
public sealed class KillUnderLoadTests
{
    private static readonly TimeSpan MinKillDelay = TimeSpan.FromMilliseconds(150);
    private static readonly TimeSpan MaxKillDelay = TimeSpan.FromMilliseconds(1500);

    /// <summary>Rounds: LSP_SAMPLE_KILL_ROUNDS, 20 by default (the long mode sets 200).</summary>
    internal static int Rounds => int.TryParse(Environment.GetEnvironmentVariable("LSP_SAMPLE_KILL_ROUNDS"), NumberStyles.None, CultureInfo.InvariantCulture, out var rounds) && rounds > 0 ? rounds : 20;

    /// <summary>LSP_SAMPLE_KILL_SEED repeats a run; otherwise a fresh seed, printed.</summary>
    internal static int Seed => int.TryParse(Environment.GetEnvironmentVariable("LSP_SAMPLE_KILL_SEED"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seed) ? seed : Random.Shared.Next();

    [Test]
    public async Task Every_acknowledged_write_survives_SIGKILL_under_load_round_after_round()
    {
        var seed = Seed;
        var rounds = Rounds;
        TestContext.Out.WriteLine($"seed {seed} (LSP_SAMPLE_KILL_SEED), {rounds} rounds (LSP_SAMPLE_KILL_ROUNDS)");
        var run = await KillRoundsAsync("ON_REQUEST", rounds, seed);

        Assert.Multiple(() =>
        {
            Assert.That(run.Acknowledged, Is.GreaterThan(rounds * 3), $"seed {seed}: too few acknowledged writes, the load proves little");
            Assert.That(run.Lost, Is.Zero, $"seed {seed}: acknowledged writes were lost");
        });
    }

    /// <summary>The harness can fail: under MANUAL nothing is saved, so the checks must report every acknowledged write lost.</summary>
    [Test]
    public async Task The_checks_report_the_writes_a_kill_loses_under_MANUAL()
    {
        var seed = Seed;
        TestContext.Out.WriteLine($"seed {seed}");
        var run = await KillRoundsAsync("MANUAL", rounds: 1, seed, expectLosses: true);

        Assert.That(run.Acknowledged, Is.GreaterThan(0), $"seed {seed}: nothing was acknowledged");
        Assert.That(run.LostWrites, Has.Count.EqualTo(run.Acknowledged), $"seed {seed}: the checks did not report every write a MANUAL kill lost");
    }

    private static async Task<RunTotals> KillRoundsAsync(string saveStrategy, int rounds, int seed, bool expectLosses = false)
    {
        using var volume = new TempDirectory();
        var environment = new Dictionary<string, string?> { ["SNAPSHOT_SAVE_STRATEGY"] = saveStrategy, ["SNAPSHOT_LOAD_STRATEGY"] = "ON_REQUEST" };
        var clock = Stopwatch.StartNew();
        var ledger = new AcknowledgedWrites(clock);
        var verifier = new AcknowledgedWritesVerifier(ledger, seed);
        var assets = new AcknowledgedWritesAssets(ledger, volume.Path);
        var random = new Random(seed);
        var totals = new RunTotals();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(30));

        for (var round = 0; round < rounds; round++)
        {
            var killDelay = TimeSpan.FromMilliseconds(random.Next((int)MinKillDelay.TotalMilliseconds, (int)MaxKillDelay.TotalMilliseconds + 1));
            var roundSeed = random.Next();
            var roundClock = Stopwatch.StartNew();
            TimeSpan started, verified, created;
            await using (var emulator = await EmulatorProcess.StartAsync(volume.Path, environment, timeout.Token))
            {
                started = roundClock.Elapsed;
                if (round > 0)
                {
                    await VerifyAsync(emulator, verifier, round - 1, seed, totals, expectLosses, timeout.Token);
                }

                verified = roundClock.Elapsed;
                var load = new LoadGenerator(emulator, ledger, round, roundSeed);
                var queueUrl = await load.CreateResourcesAsync(timeout.Token);
                created = roundClock.Elapsed;
                var writers = load.RunAsync(queueUrl);
                await Task.Delay(killDelay, timeout.Token); // the random moment of the kill is the point of the test
                load.MarkKilling();
                await emulator.KillAsync();
                await writers;
                Assert.That(ledger.UnexpectedErrors, Is.Empty, $"round {round}, seed {seed}: writes failed before the kill. Emulator output:\n{emulator.Output}");
            }

            var findings = new Findings();
            await assets.VerifyAsync(round, findings);
            Report(totals, findings, round, seed, expectLosses, "committed assets");
            TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round}: kill after {killDelay.TotalMilliseconds:F0} ms, acknowledged {ledger.AcknowledgedCount(round)} (attempted {ledger.All.Count(w => w.Round == round)}), s3/dynamodb generation {assets.CommittedGeneration("s3")}/{assets.CommittedGeneration("dynamodb")}, {roundClock.ElapsedMilliseconds} ms (start {started.TotalMilliseconds:F0}, verify {(verified - started).TotalMilliseconds:F0}, create {(created - verified).TotalMilliseconds:F0})"));
            totals.Acknowledged += ledger.AcknowledgedCount(round);
        }

        await using (var emulator = await EmulatorProcess.StartAsync(volume.Path, environment, timeout.Token))
        {
            await VerifyAsync(emulator, verifier, rounds - 1, seed, totals, expectLosses, timeout.Token);
        }

        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{saveStrategy}: {rounds} rounds, seed {seed}: acknowledged writes {totals.Acknowledged}, lost {totals.Lost}, unacknowledged but present {totals.UnacknowledgedPresent}, {clock.Elapsed.TotalSeconds:F1} s"));
        return totals;
    }

    private static async Task VerifyAsync(EmulatorProcess emulator, AcknowledgedWritesVerifier verifier, int round, int seed, RunTotals totals, bool expectLosses, CancellationToken cancellationToken)
    {
        Findings findings;
        try
        {
            findings = await verifier.VerifyAsync(emulator, round, cancellationToken);
        }
        catch (Exception e) when (e is not AssertionException)
        {
            throw new AssertionException($"round {round}, seed {seed}: verification failed: {e}\nEmulator output:\n{emulator.Output}", e);
        }

        // A restart after a kill recovers silently: nothing the emulator logged since its start is an error.
        if (emulator.Output.Contains("fail:", StringComparison.Ordinal) || emulator.Output.Contains("crit:", StringComparison.Ordinal))
        {
            findings.Problems.Add("the restarted emulator logged an error");
        }

        TestContext.Out.WriteLine($"round {round}: after the restart, unacknowledged but present {findings.UnacknowledgedPresent}, lost {findings.Lost.Count}");
        totals.UnacknowledgedPresent += findings.UnacknowledgedPresent;
        Report(totals, findings, round, seed, expectLosses, $"restarted emulator. Emulator output:\n{emulator.Output}");
    }

    private static void Report(RunTotals totals, Findings findings, int round, int seed, bool expectLosses, string where)
    {
        totals.Lost += findings.Lost.Count;
        totals.LostWrites.UnionWith(findings.LostWrites);
        foreach (var lost in findings.Lost.Take(expectLosses ? 3 : 50))
        {
            TestContext.Out.WriteLine($"LOST (seed {seed}, {where.Split('\n')[0]}): {lost}");
        }

        Assert.That(findings.Problems, Is.Empty, $"round {round}, seed {seed}, {where}");
        if (!expectLosses)
        {
            Assert.That(findings.Lost, Is.Empty, $"round {round}, seed {seed}, {where}");
        }
    }

    private sealed class RunTotals
    {
        public int Acknowledged { get; set; }

        public int Lost { get; set; }

        public int UnacknowledgedPresent { get; set; }

        /// <summary>Distinct acknowledged writes any check reported lost.</summary>
        public HashSet<AttemptedWrite> LostWrites { get; } = [];
    }
}
