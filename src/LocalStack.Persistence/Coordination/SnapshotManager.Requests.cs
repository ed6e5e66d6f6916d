namespace LocalStack.Persistence.Coordination;

// Requests and the gate: a request holds its service's gate shared; a capture, load or reset holds it exclusively.
internal sealed partial class SnapshotManager
{
    /// <inheritdoc />
    /// <exception cref="UnknownServiceException">The service is not registered.</exception>
    /// <exception cref="ServiceFaultedException">The service is faulted.</exception>
    /// <exception cref="ObjectDisposedException">The manager has been disposed.</exception>
    public async ValueTask<SnapshotRequestScope> BeginRequestAsync(string serviceName, bool mutating, CancellationToken cancellationToken = default)
    {
        var entry = Find(serviceName);
        if (_store is not null)
        {
            if (_loadStrategy.LoadsOnFirstRequest)
            {
                await EnsureLoadedAsync(entry, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                ThrowIfFaulted(entry);
            }
        }

        await EnterSharedAsync(entry, cancellationToken).ConfigureAwait(false);
        if (_store is not null && entry.IsFaulted)
        {
            // A load that ran between the check and the gate found the snapshot corrupt.
            entry.Gate.ExitShared();
            ThrowIfFaulted(entry);
        }

        return new RequestScope(this, entry, mutating);
    }

    /// <summary>The gate of a service, for tests.</summary>
    internal ServiceGate GetGate(string serviceName) => Find(serviceName, allowDisposed: true).Gate;

    private async ValueTask EnterSharedAsync(ServiceEntry entry, CancellationToken cancellationToken)
    {
        var started = _timeProvider.GetTimestamp();
        await entry.Gate.EnterSharedAsync(cancellationToken).ConfigureAwait(false);
        _metrics.GateWaited(entry.Name, exclusive: false, _timeProvider.GetElapsedTime(started));
    }

    private async ValueTask EnterExclusiveAsync(ServiceEntry entry, CancellationToken cancellationToken)
    {
        var started = _timeProvider.GetTimestamp();
        await entry.Gate.EnterExclusiveAsync(cancellationToken).ConfigureAwait(false);
        _metrics.GateWaited(entry.Name, exclusive: true, _timeProvider.GetElapsedTime(started));
    }

    /// <summary>Called by a request scope when it ends: marks the service modified, leaves the gate, then lets the save strategy decide.</summary>
    private async ValueTask EndRequestAsync(ServiceEntry entry, bool mutating, bool holdsGate)
    {
        var tracked = mutating && _store is not null;
        if (tracked)
        {
            // Before leaving the gate, so that the next capture (which waits for this request) sees the new version.
            Interlocked.Increment(ref entry.ModifiedVersion);
        }

        if (holdsGate)
        {
            entry.Gate.ExitShared();
        }

        if (tracked && !_readOnly)
        {
            await _saveStrategy.OnMutationCompletedAsync(this, entry.Name, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
