namespace LocalStack.Persistence.State;

/// <summary>
/// Callbacks around saves, loads and resets (LocalStack's <c>StateLifecycleHook</c>). A provider may implement it
/// for itself; hooks passed to <see cref="ServiceSnapshotter"/> run for every service. Every member has a no-op default.
/// </summary>
public interface IStateLifecycleHook
{
    /// <summary>Runs before a service's state is captured.</summary>
    /// <param name="serviceName">The service.</param>
    /// <param name="cancellationToken">Cancels the hook.</param>
    /// <returns>A task that completes when the hook is done.</returns>
    ValueTask OnBeforeSaveAsync(string serviceName, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Runs after a service's snapshot is durable.</summary>
    /// <param name="serviceName">The service.</param>
    /// <param name="cancellationToken">Cancels the hook.</param>
    /// <returns>A task that completes when the hook is done.</returns>
    ValueTask OnAfterSaveAsync(string serviceName, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Runs before a service's snapshot is restored.</summary>
    /// <param name="serviceName">The service.</param>
    /// <param name="cancellationToken">Cancels the hook.</param>
    /// <returns>A task that completes when the hook is done.</returns>
    ValueTask OnBeforeLoadAsync(string serviceName, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Runs after a service's snapshot is restored.</summary>
    /// <param name="serviceName">The service.</param>
    /// <param name="cancellationToken">Cancels the hook.</param>
    /// <returns>A task that completes when the hook is done.</returns>
    ValueTask OnAfterLoadAsync(string serviceName, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Runs before a service is reset.</summary>
    /// <param name="serviceName">The service.</param>
    /// <param name="cancellationToken">Cancels the hook.</param>
    /// <returns>A task that completes when the hook is done.</returns>
    ValueTask OnBeforeResetAsync(string serviceName, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Runs after a service is reset.</summary>
    /// <param name="serviceName">The service.</param>
    /// <param name="cancellationToken">Cancels the hook.</param>
    /// <returns>A task that completes when the hook is done.</returns>
    ValueTask OnAfterResetAsync(string serviceName, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
