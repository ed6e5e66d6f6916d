namespace LocalStack.Persistence;

/// <summary>
/// Decides when services are loaded. Built in: <c>OnRequest</c> (default, lazy), <c>OnStartup</c>, <c>Manual</c>; a custom
/// strategy registers through <c>UseLoadStrategy&lt;T&gt;()</c>.
/// </summary>
public interface ILoadStrategy
{
    /// <summary>The strategy's name as LocalStack spells it (<c>ON_REQUEST</c>, <c>ON_STARTUP</c>, <c>MANUAL</c>).</summary>
    string Name { get; }

    /// <summary>Whether the first request to a service loads it (<see cref="ISnapshotManager.BeginRequestAsync"/> calls <see cref="ISnapshotManager.EnsureLoadedAsync"/>).</summary>
    bool LoadsOnFirstRequest { get; }

    /// <summary>Called before the host starts serving (<c>IHostedLifecycleService.StartingAsync</c>).</summary>
    /// <param name="manager">The manager.</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <returns>A task that completes when the strategy's start-up loads are done.</returns>
    ValueTask OnStartingAsync(ISnapshotManager manager, CancellationToken cancellationToken);
}
