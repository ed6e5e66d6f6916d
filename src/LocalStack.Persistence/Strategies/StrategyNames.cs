namespace LocalStack.Persistence.Strategies;

/// <summary>The names of the built-in strategies, as LocalStack spells them (<c>SNAPSHOT_SAVE_STRATEGY</c>, <c>SNAPSHOT_LOAD_STRATEGY</c>).</summary>
internal static class StrategyNames
{
    /// <summary><c>ON_REQUEST</c>: save after every mutating request, or load on a service's first request.</summary>
    public const string OnRequest = "ON_REQUEST";

    /// <summary><c>SCHEDULED</c>: save modified services every flush interval.</summary>
    public const string Scheduled = "SCHEDULED";

    /// <summary><c>ON_SHUTDOWN</c>: save every loaded service during shutdown.</summary>
    public const string OnShutdown = "ON_SHUTDOWN";

    /// <summary><c>ON_STARTUP</c>: load every service before the host serves.</summary>
    public const string OnStartup = "ON_STARTUP";

    /// <summary><c>MANUAL</c>: nothing automatic; save and load only when asked.</summary>
    public const string Manual = "MANUAL";
}
