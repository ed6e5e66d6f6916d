namespace LocalStack.Persistence;

/// <summary>
/// A request in flight on one service: it holds the service's gate shared, so no capture runs in the middle of it.
/// Dispose it when the request's work is done; for a mutating request under the OnRequest save strategy the dispose
/// completes only when a save covering the request's change is durable.
/// </summary>
public abstract class SnapshotRequestScope : IAsyncDisposable
{
    /// <summary>The service.</summary>
    public abstract string ServiceName { get; }

    /// <summary>Whether the request may change the service's state.</summary>
    public abstract bool Mutating { get; }

    /// <summary>
    /// Steps out of the gate for a long wait (such as SQS long polling) so that saves are not held up; disposing the
    /// returned handle re-enters the gate. Do not touch the service's state while stepped out.
    /// </summary>
    /// <param name="cancellationToken">Cancels re-entering.</param>
    /// <returns>A handle whose dispose waits to re-enter the gate.</returns>
    public abstract ValueTask<IAsyncDisposable> StepOutAsync(CancellationToken cancellationToken = default);

    /// <summary>Ends the request: releases the gate, then marks the service modified or saves it, as the strategy says.</summary>
    /// <returns>A task that completes when the request may be acknowledged.</returns>
    public abstract ValueTask DisposeAsync();
}
