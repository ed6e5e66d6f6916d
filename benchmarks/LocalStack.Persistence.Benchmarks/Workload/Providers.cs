using LocalStack.Persistence.State;

namespace LocalStack.Persistence.Benchmarks.Workload;

/// <summary>
/// The default capture: the live, mutable state serialized under the service's gate. Mutations take
/// <see cref="Sync"/> (requests run concurrently under the shared gate).
/// </summary>
public sealed class MutableS3Provider(string serviceName, S3State state)
    : JsonServiceStateProvider<S3State>(serviceName, BenchJsonContext.Default.S3State)
{
    /// <summary>Guards <see cref="State"/> against concurrent requests.</summary>
    public Lock Sync { get; } = new();

    /// <summary>The live state.</summary>
    public S3State State { get; private set; } = state;

    /// <inheritdoc />
    protected override S3State Capture() => State;

    /// <inheritdoc />
    protected override void Restore(S3State state) => State = state;

    /// <inheritdoc />
    protected override void Reset() => State = new S3State();
}

/// <summary>The same list state, declared immutable: serialized outside the gate, straight into the snapshot file.</summary>
public sealed class DeferredS3Provider(string serviceName, S3State state)
    : JsonServiceStateProvider<S3State>(serviceName, BenchJsonContext.Default.S3State)
{
    /// <summary>The live state (not mutated while a save runs in these benchmarks).</summary>
    public S3State State { get; private set; } = state;

    /// <inheritdoc />
    protected override bool CaptureIsImmutable => true;

    /// <inheritdoc />
    protected override S3State Capture() => State;

    /// <inheritdoc />
    protected override void Restore(S3State state) => State = state;

    /// <inheritdoc />
    protected override void Reset() => State = new S3State();
}

/// <summary>A persistent state: a mutation swaps the root, a capture is the current root (O(1)).</summary>
public sealed class ImmutableS3Provider(string serviceName, ImmutableS3State state)
    : JsonServiceStateProvider<ImmutableS3State>(serviceName, BenchJsonContext.Default.ImmutableS3State)
{
    private ImmutableS3State _state = state;

    /// <summary>The current root.</summary>
    public ImmutableS3State State => Volatile.Read(ref _state);

    /// <summary>Applies a change atomically (compare-and-swap on the root).</summary>
    public void Update(Func<ImmutableS3State, ImmutableS3State> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        while (true)
        {
            var current = Volatile.Read(ref _state);
            if (ReferenceEquals(Interlocked.CompareExchange(ref _state, change(current), current), current))
            {
                return;
            }
        }
    }

    /// <inheritdoc />
    protected override bool CaptureIsImmutable => true;

    /// <inheritdoc />
    protected override ImmutableS3State Capture() => State;

    /// <inheritdoc />
    protected override void Restore(ImmutableS3State state) => Volatile.Write(ref _state, state);

    /// <inheritdoc />
    protected override void Reset() => Volatile.Write(ref _state, new ImmutableS3State(System.Collections.Immutable.ImmutableDictionary<string, S3ObjectRecord>.Empty));
}
