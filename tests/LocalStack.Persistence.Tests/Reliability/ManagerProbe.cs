using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using LocalStack.Persistence.Tests.Hosting;
using Microsoft.Extensions.Logging;

namespace LocalStack.Persistence.Tests.Reliability;

/// <summary>What an operator sees of a snapshot manager: its log entries and the measurements of its meter for one service.</summary>
internal sealed class ManagerProbe : IDisposable
{
    private readonly string _serviceName;
    private readonly CapturingLoggerProvider _logs = new();
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, Dictionary<string, object?> Tags)> _measurements = new();

    /// <param name="serviceName">Only this service's measurements are kept (every manager's meter has the same name).</param>
    public ManagerProbe(string serviceName)
    {
        _serviceName = serviceName;
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs));
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == SnapshotTelemetry.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((i, _, tags, _) => Record(i, tags));
        _listener.SetMeasurementEventCallback<long>((i, _, tags, _) => Record(i, tags));
        _listener.Start();
    }

    public ILoggerFactory LoggerFactory { get; }

    public IReadOnlyList<LogEntry> Errors => [.. _logs.Entries.Where(e => e.Level >= LogLevel.Error)];

    /// <summary>The <c>localstack.persistence.failures</c> measurements of the service, by operation.</summary>
    public IReadOnlyList<object?> Failures => Tagged("localstack.persistence.failures", SnapshotMetricsTags.Operation);

    /// <summary>The outcomes of the service's <c>localstack.persistence.save.duration</c> measurements.</summary>
    public IReadOnlyList<object?> SaveOutcomes => Tagged("localstack.persistence.save.duration", SnapshotMetricsTags.Outcome);

    public void Dispose()
    {
        _listener.Dispose();
        LoggerFactory.Dispose();
    }

    private List<object?> Tagged(string instrument, string tag)
        => [.. _measurements.Where(m => m.Instrument == instrument).Select(m => m.Tags.GetValueOrDefault(tag))];

    private void Record(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        if (Equals(copy.GetValueOrDefault(SnapshotMetricsTags.Service), _serviceName))
        {
            _measurements.Enqueue((instrument.Name, copy));
        }
    }

    private static class SnapshotMetricsTags
    {
        public const string Service = "service";
        public const string Outcome = "outcome";
        public const string Operation = "operation";
    }
}
