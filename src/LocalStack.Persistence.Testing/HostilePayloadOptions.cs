namespace LocalStack.Persistence.Testing;

/// <summary>Options of <see cref="ProviderChecks.HostilePayloadsAsync"/>.</summary>
public sealed class HostilePayloadOptions
{
    /// <summary>The default of <see cref="Seed"/>.</summary>
    public const int DefaultSeed = 20_261_127;

    /// <summary>The default of <see cref="Cases"/>.</summary>
    public const int DefaultCases = 25;

    /// <summary>The seed of the first case; case <c>i</c> uses <c>Seed + i</c>, so a failure names the seed that replays it.</summary>
    /// <value>The default value is <see cref="DefaultSeed"/>.</value>
    public int Seed { get; init; } = DefaultSeed;

    /// <summary>How many hostile payloads to feed to the provider.</summary>
    /// <value>The default value is <see cref="DefaultCases"/>.</value>
    public int Cases { get; init; } = DefaultCases;

    /// <summary>The length of the huge string mutation, in bytes.</summary>
    /// <value>The default value is <see cref="PayloadMutator.DefaultHugeStringBytes"/>.</value>
    public int HugeStringBytes { get; init; } = PayloadMutator.DefaultHugeStringBytes;
}

/// <summary>The outcome of <see cref="ProviderChecks.HostilePayloadsAsync"/> when it passed.</summary>
/// <param name="Refused">Payloads refused with a <see cref="SnapshotException"/>.</param>
/// <param name="Served">Payloads restored and then saved, reset, loaded and saved again to the same snapshot.</param>
public sealed record HostilePayloadSummary(int Refused, int Served);
