namespace LocalStack.Persistence.Coordination;

/// <summary>
/// The per-service gate: an async reader/writer lock where requests enter shared and captures, loads and resets enter
/// exclusive. No wait ever times out.
/// </summary>
/// <remarks>
/// <para>
/// <b>Writer preference.</b> While an exclusive holder waits, new shared holders queue behind it, so a capture waits
/// only for the requests already in flight and a steady stream of requests cannot starve it.
/// </para>
/// <para>
/// <b>Hand-over.</b> When an exclusive holder leaves, every shared waiter queued behind it enters at once, before the
/// next exclusive waiter; that one then waits for them. So a request waits for at most the capture that was queued
/// before it (requests and captures alternate) and a stream of captures cannot starve requests either.
/// </para>
/// <para>
/// <b>Cancellation.</b> A waiter is either granted or cancelled, never both: both happen under the same lock and the
/// grant removes the waiter from its queue. A cancelled waiter leaves no hold behind, and when it was the exclusive
/// waiter that held shared waiters back, they are let in.
/// </para>
/// </remarks>
internal sealed class ServiceGate
{
    private readonly Lock _sync = new();
    private readonly LinkedList<Waiter> _sharedWaiters = new();
    private readonly LinkedList<Waiter> _exclusiveWaiters = new();
    private int _sharedHolders;
    private bool _exclusiveHeld;

    /// <summary>The number of shared holders (requests in flight).</summary>
    public int SharedHolders
    {
        get
        {
            lock (_sync)
            {
                return _sharedHolders;
            }
        }
    }

    /// <summary>Whether an exclusive holder is inside.</summary>
    public bool ExclusiveHeld
    {
        get
        {
            lock (_sync)
            {
                return _exclusiveHeld;
            }
        }
    }

    /// <summary>The number of exclusive waiters.</summary>
    public int ExclusiveWaiters
    {
        get
        {
            lock (_sync)
            {
                return _exclusiveWaiters.Count;
            }
        }
    }

    /// <summary>The number of shared waiters.</summary>
    public int SharedWaiters
    {
        get
        {
            lock (_sync)
            {
                return _sharedWaiters.Count;
            }
        }
    }

    /// <summary>Enters shared; completes when no exclusive holder is inside or waiting ahead of this caller.</summary>
    public ValueTask EnterSharedAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Waiter waiter;
        lock (_sync)
        {
            if (!_exclusiveHeld && _exclusiveWaiters.Count == 0)
            {
                _sharedHolders++;
                return ValueTask.CompletedTask;
            }

            waiter = new Waiter(this, shared: true);
            waiter.Node = _sharedWaiters.AddLast(waiter);
        }

        return waiter.WaitAsync(cancellationToken);
    }

    /// <summary>Enters exclusive; completes when every shared holder has left and no other exclusive holder is inside.</summary>
    public ValueTask EnterExclusiveAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Waiter waiter;
        lock (_sync)
        {
            if (!_exclusiveHeld && _sharedHolders == 0 && _exclusiveWaiters.Count == 0)
            {
                _exclusiveHeld = true;
                return ValueTask.CompletedTask;
            }

            waiter = new Waiter(this, shared: false);
            waiter.Node = _exclusiveWaiters.AddLast(waiter);
        }

        return waiter.WaitAsync(cancellationToken);
    }

    /// <summary>Leaves shared.</summary>
    public void ExitShared()
    {
        lock (_sync)
        {
            if (_sharedHolders == 0)
            {
                throw new InvalidOperationException("The service gate is not held shared.");
            }

            _sharedHolders--;
            GrantLocked();
        }
    }

    /// <summary>Leaves exclusive.</summary>
    public void ExitExclusive()
    {
        lock (_sync)
        {
            if (!_exclusiveHeld)
            {
                throw new InvalidOperationException("The service gate is not held exclusively.");
            }

            _exclusiveHeld = false;

            // Requests that queued behind this holder go first; the next exclusive waiter waits for them.
            if (_sharedWaiters.Count > 0)
            {
                GrantAllSharedLocked();
            }
            else
            {
                GrantLocked();
            }
        }
    }

    private void GrantLocked()
    {
        if (_exclusiveHeld)
        {
            return;
        }

        if (_exclusiveWaiters.Count > 0)
        {
            if (_sharedHolders == 0)
            {
                var next = _exclusiveWaiters.First!.Value;
                _exclusiveWaiters.RemoveFirst();
                next.Node = null;
                _exclusiveHeld = true;
                next.Grant();
            }

            return;
        }

        GrantAllSharedLocked();
    }

    private void GrantAllSharedLocked()
    {
        while (_sharedWaiters.First is { } node)
        {
            _sharedWaiters.RemoveFirst();
            node.Value.Node = null;
            _sharedHolders++;
            node.Value.Grant();
        }
    }

    private void Cancel(Waiter waiter)
    {
        lock (_sync)
        {
            if (waiter.Node is null)
            {
                // Already granted: the caller owns the hold and its await completes normally.
                return;
            }

            (waiter.Shared ? _sharedWaiters : _exclusiveWaiters).Remove(waiter.Node);
            waiter.Node = null;
            waiter.Cancel();

            // An exclusive waiter that gave up may have been all that held shared waiters (or the next exclusive one) back.
            GrantLocked();
        }
    }

    private sealed class Waiter(ServiceGate gate, bool shared)
    {
        private readonly ServiceGate _gate = gate;
        private readonly TaskCompletionSource _granted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private CancellationToken _cancellationToken;

        public bool Shared => shared;

        /// <summary>The waiter's place in its queue; <see langword="null"/> once granted or cancelled (guarded by the gate's lock).</summary>
        public LinkedListNode<Waiter>? Node { get; set; }

        public async ValueTask WaitAsync(CancellationToken cancellationToken)
        {
            _cancellationToken = cancellationToken;
            if (!cancellationToken.CanBeCanceled)
            {
                await _granted.Task.ConfigureAwait(false);
                return;
            }

            // Registered outside the gate's lock: a token cancelled meanwhile runs the callback inline, which takes the lock.
            var registration = cancellationToken.UnsafeRegister(static state => { var w = (Waiter)state!; w._gate.Cancel(w); }, this);
            try
            {
                await _granted.Task.ConfigureAwait(false);
            }
            finally
            {
                await registration.DisposeAsync().ConfigureAwait(false);
            }
        }

        public void Grant() => _granted.TrySetResult();

        public void Cancel() => _granted.TrySetCanceled(_cancellationToken);
    }
}
