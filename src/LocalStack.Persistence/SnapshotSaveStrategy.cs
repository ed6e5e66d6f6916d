namespace LocalStack.Persistence;

/// <summary>The built-in save strategies (LocalStack's <c>SNAPSHOT_SAVE_STRATEGY</c>).</summary>
public enum SnapshotSaveStrategy
{
    /// <summary><c>SCHEDULED</c>: every flush interval, save the services modified since their last save (the default).</summary>
    Scheduled = 0,

    /// <summary><c>ON_REQUEST</c>: a mutating request completes only after a save covering its change is durable.</summary>
    OnRequest = 1,

    /// <summary><c>ON_SHUTDOWN</c>: save every loaded service while the host shuts down.</summary>
    OnShutdown = 2,

    /// <summary><c>MANUAL</c>: save only when asked (state endpoints or <c>ISnapshotManager</c>).</summary>
    Manual = 3,
}
