namespace LocalStack.Persistence.Coordination;

internal sealed partial class SnapshotManager
{
    /// <summary>A request holding a service's gate shared; it may step out for long waits.</summary>
    private sealed class RequestScope(SnapshotManager manager, ServiceEntry entry, bool mutating) : SnapshotRequestScope
    {
        private readonly Lock _sync = new();
        private bool _inside = true;
        private bool _disposed;

        public override string ServiceName => entry.Name;

        public override bool Mutating => mutating;

        public override ValueTask<IAsyncDisposable> StepOutAsync(CancellationToken cancellationToken = default)
        {
            lock (_sync)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (!_inside)
                {
                    throw new InvalidOperationException($"The request on service '{entry.Name}' is not inside the gate: it has stepped out (dispose that handle first) or failed to re-enter.");
                }

                _inside = false;
                entry.Gate.ExitShared();
            }

            return ValueTask.FromResult<IAsyncDisposable>(new StepOut(this, cancellationToken));
        }

        public override async ValueTask DisposeAsync()
        {
            bool holdsGate;
            lock (_sync)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                holdsGate = _inside;
                _inside = false;
            }

            await manager.EndRequestAsync(entry, mutating, holdsGate).ConfigureAwait(false);
        }

        private async ValueTask ReenterAsync(CancellationToken cancellationToken)
        {
            lock (_sync)
            {
                if (_disposed)
                {
                    // The request already ended while stepped out: nothing to re-enter.
                    return;
                }
            }

            await manager.EnterSharedAsync(entry, cancellationToken).ConfigureAwait(false);
            lock (_sync)
            {
                if (_disposed)
                {
                    // Ended while re-entering: give the hold back at once rather than leak it.
                    entry.Gate.ExitShared();
                    return;
                }

                if (manager._store is not null && entry.IsFaulted)
                {
                    // A load while stepped out found the snapshot corrupt: the request must not go on with the service.
                    entry.Gate.ExitShared();
                    ThrowIfFaulted(entry);
                }

                _inside = true;
            }
        }

        private sealed class StepOut(RequestScope scope, CancellationToken cancellationToken) : IAsyncDisposable
        {
            private int _disposed;

            public ValueTask DisposeAsync()
                => Interlocked.Exchange(ref _disposed, 1) == 0 ? scope.ReenterAsync(cancellationToken) : ValueTask.CompletedTask;
        }
    }
}
