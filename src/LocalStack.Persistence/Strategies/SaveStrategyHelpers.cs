namespace LocalStack.Persistence.Strategies;

/// <summary>What the built-in save strategies share.</summary>
internal static class SaveStrategyHelpers
{
    /// <summary>Whether the manager saves at all (persistence on and not read-only).</summary>
    public static bool Saves(ISnapshotManager manager) => manager.IsEnabled && !manager.IsReadOnly;

    /// <summary>
    /// Saves every service modified since its last save, all at once. Failures are logged by the manager and leave the
    /// service dirty for the next flush; they do not stop the other services. When <paramref name="cancellationToken"/>
    /// fires, returns without waiting for the rest (a save already writing still completes).
    /// </summary>
    public static async ValueTask<int> FlushDirtyAsync(ISnapshotManager manager, CancellationToken cancellationToken)
    {
        if (!Saves(manager))
        {
            return 0;
        }

        var saved = 0;
        try
        {
            await foreach (var result in manager.SaveAllAsync(dirtyOnly: true, cancellationToken).ConfigureAwait(false))
            {
                if (result.Succeeded)
                {
                    saved++;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping, or the shutdown timeout expired: the services not saved stay modified.
        }

        return saved;
    }
}
