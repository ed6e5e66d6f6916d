using LocalStack.Persistence.State;

namespace LocalStack.Persistence.Coordination;

internal sealed partial class SnapshotManager
{
    /// <summary>One registered service: its provider, gate, load state, versions and status. Fields are guarded by <see cref="Sync"/> unless noted.</summary>
    private sealed class ServiceEntry(string name, IServiceStateProvider provider)
    {
        public readonly Lock Sync = new();

        /// <summary>Increased (atomically, without <see cref="Sync"/>) by every mutating request and <see cref="MarkModified"/>.</summary>
        public long ModifiedVersion;

        /// <summary>The modification version the last successful save captured (or that a load or reset made clean).</summary>
        public long SavedVersion;

        public bool Loaded;
        public Exception? Fault;

        /// <summary>Whether <see cref="Fault"/> is a load or reset that stopped half-way (the live state is incomplete), not an unreadable snapshot.</summary>
        public bool FaultIsPartialState;

        /// <summary>Set by a reset: the next save may replace a stored snapshot that cannot be read (the empty state is the truth now).</summary>
        public bool MayReplaceStoredSnapshot;
        public Task? LoadTask;

        public SaveRequest? QueuedSave;
        public SaveRequest? RunningSave;
        public bool SaveWorkerRunning;

        /// <summary>Callers answered by the last save that finished (for the commit delay).</summary>
        public int AnsweredCallers;

        public long Generation;
        public DateTimeOffset? LastSavedAt;
        public long StoredSize;
        public string? LastError;

        public string Name { get; } = name;

        public IServiceStateProvider Provider { get; } = provider;

        public ServiceGate Gate { get; } = new();

        public bool IsLoaded
        {
            get
            {
                lock (Sync)
                {
                    return Loaded;
                }
            }
        }

        public bool IsFaulted
        {
            get
            {
                lock (Sync)
                {
                    return Fault is not null;
                }
            }
        }

        public bool IsDirty
        {
            get
            {
                lock (Sync)
                {
                    return IsDirtyLocked;
                }
            }
        }

        /// <summary>
        /// After a load or reset that completed: the live state is whole, so the service is loaded and no longer faulted;
        /// <paramref name="afterHookFailure"/> (an after-hook that failed) is its last error. Call with <see cref="Sync"/> held.
        /// </summary>
        /// <returns>Whether the service was faulted.</returns>
        public bool BecomeWholeLocked(Exception? afterHookFailure)
        {
            var wasFaulted = Fault is not null;
            Fault = null;
            FaultIsPartialState = false;
            Loaded = true;
            LastError = afterHookFailure?.Message;
            return wasFaulted;
        }

        /// <summary>Whether the service is faulted by a load or reset that stopped half-way.</summary>
        public bool HasPartialStateFault
        {
            get
            {
                lock (Sync)
                {
                    return Fault is not null && FaultIsPartialState;
                }
            }
        }

        /// <summary>Whether the service changed since its last save; read with <see cref="Sync"/> held.</summary>
        public bool IsDirtyLocked => Volatile.Read(ref ModifiedVersion) > SavedVersion;
    }

    /// <summary>A save that callers wait for; callers that arrive before its capture starts share it.</summary>
    private sealed class SaveRequest
    {
        public TaskCompletionSource<SnapshotMetadata> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Callers that joined this save (under the entry's lock).</summary>
        public int Callers;

        /// <summary>How many callers end a commit delay early; 0 when there is no one to wait for.</summary>
        public int EnoughCallers;

        /// <summary>Completed when <see cref="EnoughCallers"/> callers have joined.</summary>
        public TaskCompletionSource Enough { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
