using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.Golden;

/// <summary>
/// A golden set copied to its own volume and the emulator loaded from it (ON_STARTUP), its clock started a given time
/// after the instant the set was made (<see cref="GoldenSets.MadeAtAsync"/>): what the set holds then depends on that
/// offset, never on today's date.
/// </summary>
internal sealed class GoldenSetEmulator : IAsyncDisposable
{
    private readonly TempDirectory _volume;

    private GoldenSetEmulator(TempDirectory volume, EmulatorProcess emulator, DateTimeOffset madeAt)
    {
        _volume = volume;
        Emulator = emulator;
        MadeAt = madeAt;
    }

    public EmulatorProcess Emulator { get; }

    /// <summary>When the set was made; the emulator's clock started at this plus the offset.</summary>
    public DateTimeOffset MadeAt { get; }

    public static async Task<GoldenSetEmulator> StartAsync(string set, TimeSpan afterMade)
    {
        var volume = new TempDirectory();
        try
        {
            GoldenSets.CopyTo(set, volume.Path);
            var madeAt = await GoldenSets.MadeAtAsync(set);
            var emulator = await EmulatorProcess.StartAsync(volume.Path, madeAt + afterMade, new Dictionary<string, string?> { ["SNAPSHOT_LOAD_STRATEGY"] = "ON_STARTUP" });
            return new GoldenSetEmulator(volume, emulator, madeAt);
        }
        catch
        {
            volume.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Emulator.DisposeAsync();
        _volume.Dispose();
    }
}
