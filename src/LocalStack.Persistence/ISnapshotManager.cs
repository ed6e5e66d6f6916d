namespace LocalStack.Persistence;

/// <summary>
/// Coordinates saves, loads and resets of every registered service: the per-service gate, lazy loading, dirty
/// tracking, merged saves and faulted services. Endpoints, strategies and request pipelines all go through it.
/// </summary>
public interface ISnapshotManager
{
    /// <summary>The registered service names, ordered.</summary>
    IReadOnlyList<string> ServiceNames { get; }

    /// <summary>
    /// Whether persistence is on (<c>PERSISTENCE=1</c>). When off, requests pass through, explicit saves, loads and
    /// snapshot deletions throw <see cref="InvalidOperationException"/>, resets empty the live state, and strategies have
    /// nothing to do: nothing is ever written.
    /// </summary>
    /// <value>The default implementation returns <see langword="true"/>.</value>
    bool IsEnabled => true;

    /// <summary>
    /// Whether persistence is in read-only baseline mode: services are loaded as the load strategy says and never saved.
    /// Strategies skip their saves; explicit saves are refused.
    /// </summary>
    /// <value>The default implementation returns <see langword="false"/>.</value>
    bool IsReadOnly => false;

    /// <summary>Saves one service now (merged with a save already waiting for that service).</summary>
    /// <param name="serviceName">A registered service.</param>
    /// <param name="cancellationToken">Cancels the wait; a save already writing completes.</param>
    /// <returns>The metadata of the snapshot that covers every change made before the call.</returns>
    /// <exception cref="UnknownServiceException">The service is not registered.</exception>
    /// <exception cref="ServiceFaultedException">The service's snapshot could not be loaded; saving would overwrite it.</exception>
    /// <exception cref="InvalidOperationException">Persistence is disabled, or read-only.</exception>
    ValueTask<SnapshotMetadata> SaveAsync(string serviceName, CancellationToken cancellationToken = default);

    /// <summary>Loads one service from its snapshot, replacing its live state (clears a fault on success).</summary>
    /// <param name="serviceName">A registered service.</param>
    /// <param name="cancellationToken">
    /// Cancels the load until the provider starts restoring; from then on it runs to the end, so that a caller giving up
    /// never leaves half of the old state and half of the new. A provider that fails half-way leaves the service faulted.
    /// </param>
    /// <returns>The loaded snapshot's metadata, or <see langword="null"/> when there is none (the state is left as is).</returns>
    /// <exception cref="UnknownServiceException">The service is not registered.</exception>
    /// <exception cref="ServiceFaultedException">The snapshot is corrupt or from a newer version; the service is (still) faulted.</exception>
    /// <exception cref="InvalidOperationException">Persistence is disabled.</exception>
    ValueTask<SnapshotMetadata?> LoadAsync(string serviceName, CancellationToken cancellationToken = default);

    /// <summary>
    /// Resets one service's live state to empty, as LocalStack does (also with persistence off): clears a fault and marks
    /// the service modified, so the save strategy persists the empty state. The stored snapshot stays until then (a reset
    /// followed by a load returns to the last save); <see cref="DeleteSnapshotAsync"/> removes it.
    /// </summary>
    /// <param name="serviceName">A registered service.</param>
    /// <param name="cancellationToken">Cancels the reset until the provider starts resetting; from then on it runs to the end.</param>
    /// <returns>A task that completes when the service is empty (under <c>ON_REQUEST</c>, when the empty state is saved).</returns>
    /// <exception cref="UnknownServiceException">The service is not registered.</exception>
    /// <exception cref="ServiceFaultedException">The provider failed half-way; the service is faulted until a load or reset succeeds.</exception>
    ValueTask ResetAsync(string serviceName, CancellationToken cancellationToken = default);

    /// <summary>Deletes the stored snapshot of one service and its asset generations; the live state is not touched.</summary>
    /// <param name="serviceName">A registered service.</param>
    /// <param name="cancellationToken">Cancels the wait for a save of the service that is being written.</param>
    /// <returns><see langword="true"/> when a snapshot existed.</returns>
    /// <exception cref="UnknownServiceException">The service is not registered.</exception>
    /// <exception cref="InvalidOperationException">Persistence is disabled.</exception>
    ValueTask<bool> DeleteSnapshotAsync(string serviceName, CancellationToken cancellationToken = default);

    /// <summary>Saves every service (or, with <paramref name="dirtyOnly"/>, those modified since their last save), yielding each result as it finishes.</summary>
    /// <param name="dirtyOnly">Save only services modified since their last save.</param>
    /// <param name="cancellationToken">Cancels the remaining saves.</param>
    /// <returns>One result per service, in completion order; a failure is reported in its result and the others go on.</returns>
    IAsyncEnumerable<ServiceOperationResult> SaveAllAsync(bool dirtyOnly = false, CancellationToken cancellationToken = default);

    /// <summary>Loads every service that has a snapshot, yielding each result as it finishes.</summary>
    /// <param name="cancellationToken">Cancels the remaining loads.</param>
    /// <returns>One result per service, in completion order.</returns>
    IAsyncEnumerable<ServiceOperationResult> LoadAllAsync(CancellationToken cancellationToken = default);

    /// <summary>Resets every service, yielding each result as it finishes.</summary>
    /// <param name="cancellationToken">Cancels the remaining resets.</param>
    /// <returns>One result per service, in completion order.</returns>
    IAsyncEnumerable<ServiceOperationResult> ResetAllAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes the stored snapshot of every service, yielding each result as it finishes; live states are not touched.</summary>
    /// <param name="cancellationToken">Cancels the remaining deletions.</param>
    /// <returns>One result per service, in completion order.</returns>
    IAsyncEnumerable<ServiceOperationResult> DeleteAllSnapshotsAsync(CancellationToken cancellationToken = default);

    /// <summary>Loads the service if it has not been loaded yet: exactly once under concurrency; a failure reaches every waiting caller and the next call tries again.</summary>
    /// <param name="serviceName">A registered service.</param>
    /// <param name="cancellationToken">Cancels this caller's wait.</param>
    /// <returns>A task that completes when the service is loaded.</returns>
    /// <exception cref="ServiceFaultedException">The snapshot is corrupt or from a newer version.</exception>
    ValueTask EnsureLoadedAsync(string serviceName, CancellationToken cancellationToken = default);

    /// <summary>Marks a service as modified since its last save (for changes made outside a request scope).</summary>
    /// <param name="serviceName">A registered service.</param>
    void MarkModified(string serviceName);

    /// <summary>The current status of one service.</summary>
    /// <param name="serviceName">A registered service.</param>
    /// <returns>Its status.</returns>
    ServiceStatus GetStatus(string serviceName);

    /// <summary>
    /// Starts a request on a service: loads it lazily (load strategy permitting), holds its gate shared until the scope is
    /// disposed, and on dispose marks it modified or saves it, as the save strategy says.
    /// </summary>
    /// <param name="serviceName">A registered service.</param>
    /// <param name="mutating">Whether the request may change the service's state.</param>
    /// <param name="cancellationToken">Cancels the wait for the load and the gate.</param>
    /// <returns>The scope; dispose it when the request's work is done (before the response is acknowledged).</returns>
    /// <exception cref="UnknownServiceException">The service is not registered.</exception>
    /// <exception cref="ServiceFaultedException">The service's snapshot is corrupt or from a newer version.</exception>
    /// <remarks>
    /// Do not begin a second request on the same service, nor save, load or reset it, while holding a scope of that
    /// service on the same flow: the inner call would wait for the outer scope to end. Requests on other services are fine.
    /// </remarks>
    ValueTask<SnapshotRequestScope> BeginRequestAsync(string serviceName, bool mutating, CancellationToken cancellationToken = default);
}
