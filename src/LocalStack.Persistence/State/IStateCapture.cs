namespace LocalStack.Persistence.State;

/// <summary>
/// A point-in-time view of a service's state, produced under the service's gate and written after it is released.
/// </summary>
public interface IStateCapture : IAsyncDisposable
{
    /// <summary>Writes the view as UTF-8 JSON. Called at most once, outside the service's gate.</summary>
    /// <param name="destination">The payload stream (compressed and checksummed by the store); do not dispose it.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the whole payload is written.</returns>
    ValueTask WriteToAsync(Stream destination, CancellationToken cancellationToken = default);
}
