using Microsoft.Extensions.Logging;

namespace LocalStack.Persistence.Diagnostics;

/// <summary>
/// The library's log messages. Event ids are stable: 1–99 coordination (this part), 100–199 hosting (<c>Log.Hosting.cs</c>).
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, EventName = "ServiceLoaded", Level = LogLevel.Information,
        Message = "Loaded service {ServiceName} from its snapshot (generation {Generation}, {FileLength} bytes).")]
    public static partial void ServiceLoaded(ILogger logger, string serviceName, long generation, long fileLength);

    [LoggerMessage(EventId = 2, EventName = "ServiceHasNoSnapshot", Level = LogLevel.Debug,
        Message = "Service {ServiceName} has no snapshot; it starts empty.")]
    public static partial void ServiceHasNoSnapshot(ILogger logger, string serviceName);

    [LoggerMessage(EventId = 3, EventName = "ServiceLoadFailed", Level = LogLevel.Warning,
        Message = "Loading service {ServiceName} failed; it is not loaded and the next attempt tries again.")]
    public static partial void ServiceLoadFailed(ILogger logger, string serviceName, Exception exception);

    [LoggerMessage(EventId = 4, EventName = "ServiceFaulted", Level = LogLevel.Error,
        Message = "Service {ServiceName} is faulted: its snapshot could not be loaded. Its requests fail and no save overwrites the file until the service is reset or loaded successfully.")]
    public static partial void ServiceFaulted(ILogger logger, string serviceName, Exception exception);

    [LoggerMessage(EventId = 5, EventName = "ServiceFaultCleared", Level = LogLevel.Information,
        Message = "Service {ServiceName} is no longer faulted ({Operation}).")]
    public static partial void ServiceFaultCleared(ILogger logger, string serviceName, string operation);

    [LoggerMessage(EventId = 6, EventName = "ServiceSaved", Level = LogLevel.Debug,
        Message = "Saved service {ServiceName} (generation {Generation}, {FileLength} bytes) in {ElapsedMilliseconds:0.0} ms.")]
    public static partial void ServiceSaved(ILogger logger, string serviceName, long generation, long fileLength, double elapsedMilliseconds);

    [LoggerMessage(EventId = 7, EventName = "ServiceSaveFailed", Level = LogLevel.Error,
        Message = "Saving service {ServiceName} failed; its previous snapshot is kept and the service stays modified.")]
    public static partial void ServiceSaveFailed(ILogger logger, string serviceName, Exception exception);

    [LoggerMessage(EventId = 8, EventName = "SaveRefusedFaulted", Level = LogLevel.Warning,
        Message = "Not saving service {ServiceName}: it is faulted and a save would overwrite the snapshot that failed to load.")]
    public static partial void SaveRefusedFaulted(ILogger logger, string serviceName);

    [LoggerMessage(EventId = 9, EventName = "SaveRefusedReadOnly", Level = LogLevel.Debug,
        Message = "Not saving service {ServiceName}: persistence is in read-only mode.")]
    public static partial void SaveRefusedReadOnly(ILogger logger, string serviceName);

    [LoggerMessage(EventId = 10, EventName = "SaveSkippedNotLoaded", Level = LogLevel.Debug,
        Message = "Not writing service {ServiceName}: it was neither loaded nor modified, so its stored snapshot is already its state.")]
    public static partial void SaveSkippedNotLoaded(ILogger logger, string serviceName);

    [LoggerMessage(EventId = 11, EventName = "ServiceReset", Level = LogLevel.Information,
        Message = "Reset service {ServiceName} to empty; its stored snapshot stays until the save strategy persists the empty state.")]
    public static partial void ServiceReset(ILogger logger, string serviceName);

    [LoggerMessage(EventId = 12, EventName = "ServiceResetFailed", Level = LogLevel.Error,
        Message = "Resetting service {ServiceName} failed.")]
    public static partial void ServiceResetFailed(ILogger logger, string serviceName, Exception exception);

    [LoggerMessage(EventId = 13, EventName = "ManagerCreated", Level = LogLevel.Debug,
        Message = "Snapshot manager for {ServiceCount} services: persistence {Mode}, save strategy {SaveStrategy}, load strategy {LoadStrategy}.")]
    public static partial void ManagerCreated(ILogger logger, int serviceCount, string mode, string saveStrategy, string loadStrategy);

    [LoggerMessage(EventId = 14, EventName = "ServiceInterrupted", Level = LogLevel.Error,
        Message = "Service {ServiceName} is faulted: its {Operation} stopped half-way, so its live state is incomplete. Its requests fail and no save overwrites its snapshot until the service is loaded or reset successfully.")]
    public static partial void ServiceInterrupted(ILogger logger, string serviceName, string operation, Exception exception);

    [LoggerMessage(EventId = 15, EventName = "SnapshotDeleted", Level = LogLevel.Information,
        Message = "Deleted the stored snapshot of service {ServiceName} (one existed: {Existed}); its live state is unchanged.")]
    public static partial void SnapshotDeleted(ILogger logger, string serviceName, bool existed);

    [LoggerMessage(EventId = 16, EventName = "UnreadableSnapshotReplaced", Level = LogLevel.Warning,
        Message = "Service {ServiceName} was reset; its unreadable snapshot is removed before the empty state is saved ({Reason}).")]
    public static partial void UnreadableSnapshotReplaced(ILogger logger, string serviceName, string reason);
}
