using Microsoft.Extensions.Logging;

namespace LocalStack.Persistence.Diagnostics;

/// <summary>Log messages of the hosted lifecycle (event ids 100–199).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Snapshot persistence is enabled: save strategy {SaveStrategy}, load strategy {LoadStrategy}, state in {StateLocation}, flush interval {FlushInterval}, read-only {ReadOnly}.")]
    internal static partial void HostingEnabled(ILogger logger, string saveStrategy, string loadStrategy, string stateLocation, TimeSpan flushInterval, bool readOnly);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Snapshot persistence is disabled (PERSISTENCE=1 or SnapshotPersistence:Enabled=true turns it on): no snapshot is loaded or saved.")]
    internal static partial void HostingDisabled(ILogger logger);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Start-up load ({LoadStrategy}) done in {ElapsedMilliseconds:F0} ms.")]
    internal static partial void HostingStartupLoadDone(ILogger logger, string loadStrategy, double elapsedMilliseconds);

    [LoggerMessage(EventId = 103, Level = LogLevel.Error, Message = "Start-up load ({LoadStrategy}) failed; the host does not start.")]
    internal static partial void HostingStartupLoadFailed(ILogger logger, string loadStrategy, Exception exception);

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "The {SaveStrategy} save strategy stopped with an error; no background save runs until the host restarts (the final save at shutdown still runs).")]
    internal static partial void HostingSaveStrategyFailed(ILogger logger, string saveStrategy, Exception exception);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "The {SaveStrategy} save strategy did not stop before the host's shutdown timeout.")]
    internal static partial void HostingSaveStrategyStopTimedOut(ILogger logger, string saveStrategy);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "Final save ({SaveStrategy}) done in {ElapsedMilliseconds:F0} ms.")]
    internal static partial void HostingFinalSaveDone(ILogger logger, string saveStrategy, double elapsedMilliseconds);

    [LoggerMessage(EventId = 107, Level = LogLevel.Error, Message = "Final save ({SaveStrategy}) was cut off by the host's shutdown timeout after {ElapsedMilliseconds:F0} ms; services not saved keep their previous snapshot.")]
    internal static partial void HostingFinalSaveTimedOut(ILogger logger, string saveStrategy, double elapsedMilliseconds);

    [LoggerMessage(EventId = 108, Level = LogLevel.Error, Message = "Final save ({SaveStrategy}) failed.")]
    internal static partial void HostingFinalSaveFailed(ILogger logger, string saveStrategy, Exception exception);

    [LoggerMessage(EventId = 109, Level = LogLevel.Error, Message = "Service {ServiceName} was not saved at shutdown (last error: {Error}); its previous snapshot is kept.")]
    internal static partial void HostingServiceNotSaved(ILogger logger, string serviceName, string error);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Service {ServiceName} has changes that were not saved at shutdown (save strategy {SaveStrategy}).")]
    internal static partial void HostingChangesNotSaved(ILogger logger, string serviceName, string saveStrategy);

    [LoggerMessage(EventId = 111, Level = LogLevel.Information, Message = "Read-only mode: changes to {Count} services were not saved.")]
    internal static partial void HostingReadOnlyChangesDiscarded(ILogger logger, int count);

    [LoggerMessage(EventId = 112, Level = LogLevel.Warning, Message = "Could not read the status of service {ServiceName} at shutdown.")]
    internal static partial void HostingStatusFailed(ILogger logger, string serviceName, Exception exception);
}
