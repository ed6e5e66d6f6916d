namespace LocalStack.Persistence.State;

/// <summary>
/// The state of one emulated service, as the persistence layer sees it: one per service. Write a provider by deriving
/// from <see cref="JsonServiceStateProvider{TState}"/> (override one member of each pair, sync or async:
/// capture, restore, reset), or from <see cref="AccountRegionStateProvider{TStore}"/> when the state is an
/// <see cref="AccountRegionStore{TStore}"/>; the engine calls this interface, which those classes implement.
/// </summary>
/// <remarks>
/// A save has two phases. <see cref="CaptureAsync"/> runs while the service's gate is held exclusively (no
/// request is in flight) and must be fast: it returns a point-in-time view and stages asset files. The returned
/// <see cref="IStateCapture"/> is then written to storage after the gate is released, while requests flow again.
/// </remarks>
public interface IServiceStateProvider
{
    /// <summary>The service name, for example <c>s3</c>; must satisfy <see cref="ServiceNameRules.IsValid"/>.</summary>
    string ServiceName { get; }

    /// <summary>The version of the payload's shape; increase it when the persisted shape changes.</summary>
    int SchemaVersion { get; }

    /// <summary>
    /// Takes a point-in-time view of the state. Called with the service's gate held exclusively; stage asset files
    /// here through <paramref name="context"/>.
    /// </summary>
    /// <param name="context">The save's context: working folder and asset staging.</param>
    /// <param name="cancellationToken">Cancels the capture.</param>
    /// <returns>The captured view, written to storage after the gate is released.</returns>
    ValueTask<IStateCapture> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken = default);

    /// <summary>Replaces the live state with a stored snapshot. Called with the service's gate held exclusively.</summary>
    /// <param name="payload">The snapshot's payload and the schema version it was written with.</param>
    /// <param name="context">The load's context: the committed asset generation and the working folder.</param>
    /// <param name="cancellationToken">Cancels the restore.</param>
    /// <returns>A task that completes when the state is live.</returns>
    ValueTask RestoreAsync(SnapshotPayload payload, SnapshotContext context, CancellationToken cancellationToken = default);

    /// <summary>Returns the service to its empty initial state. Called with the service's gate held exclusively.</summary>
    /// <param name="context">The reset's context: the working folder.</param>
    /// <param name="cancellationToken">Cancels the reset.</param>
    /// <returns>A task that completes when the state is empty.</returns>
    ValueTask ResetAsync(SnapshotContext context, CancellationToken cancellationToken = default);
}
