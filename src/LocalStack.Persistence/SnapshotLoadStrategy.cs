namespace LocalStack.Persistence;

/// <summary>The built-in load strategies (LocalStack's <c>SNAPSHOT_LOAD_STRATEGY</c>).</summary>
public enum SnapshotLoadStrategy
{
    /// <summary><c>ON_REQUEST</c>: the first request to a service loads it (the default).</summary>
    OnRequest = 0,

    /// <summary><c>ON_STARTUP</c>: every service with a snapshot is loaded before the host serves.</summary>
    OnStartup = 1,

    /// <summary><c>MANUAL</c>: load only when asked.</summary>
    Manual = 2,
}
