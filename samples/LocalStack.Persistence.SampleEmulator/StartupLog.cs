using LocalStack.Persistence.Configuration;
using Microsoft.Extensions.Options;

namespace LocalStack.Persistence.SampleEmulator;

/// <summary>Says at start which strategies run and where the state lives, so that a user knows what survives a restart.</summary>
internal static partial class StartupLog
{
    public static void Write(WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<SnapshotPersistenceOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("LocalStack.Persistence.SampleEmulator");
        if (options.Enabled)
        {
            Enabled(logger, options.SaveStrategy, options.LoadStrategy, options.FlushInterval.TotalSeconds, Path.GetFullPath(options.StateDirectory));
        }
        else
        {
            Disabled(logger);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Persistence on: save strategy {SaveStrategy}, load strategy {LoadStrategy}, flush interval {FlushIntervalSeconds} s, state folder {StateDirectory}")]
    private static partial void Enabled(ILogger logger, SnapshotSaveStrategy saveStrategy, SnapshotLoadStrategy loadStrategy, double flushIntervalSeconds, string stateDirectory);

    [LoggerMessage(2, LogLevel.Information, "Persistence off (PERSISTENCE=0): state lives in memory only")]
    private static partial void Disabled(ILogger logger);
}
