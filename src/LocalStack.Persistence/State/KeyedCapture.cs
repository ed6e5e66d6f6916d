namespace LocalStack.Persistence.State;

/// <summary>
/// The records a <see cref="KeyedStateProvider"/> captured: a full base or a delta, serialized under the gate (the
/// records changed) and written to storage after it. Tells the provider whether the save committed.
/// </summary>
internal sealed class KeyedCapture(KeyedStateProvider provider, SegmentedBufferWriter records, bool isDelta) : IStateCapture
{
    private int _state; // 0 pending, 1 committed, 2 disposed

    /// <summary>Whether this is a delta (appended) rather than a full base (replacing the snapshot).</summary>
    public bool IsDelta { get; } = isDelta;

    public ValueTask WriteToAsync(Stream destination, CancellationToken cancellationToken = default)
        => records.CopyToAsync(destination, cancellationToken);

    /// <summary>The save reached its commit point.</summary>
    public void Committed(long generation)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) == 0)
        {
            provider.SaveCommitted(generation);
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _state, 2) == 0)
        {
            provider.SaveFailed();
        }

        records.Dispose();
        return ValueTask.CompletedTask;
    }
}
