using System.Diagnostics.Metrics;

namespace LocalStack.Persistence.Diagnostics;

/// <summary>
/// The instruments of the <c>LocalStack.Persistence</c> meter. Durations are in seconds; every instrument is tagged
/// with <c>service</c>.
/// </summary>
internal sealed class SnapshotMetrics : IDisposable
{
    public const string ServiceTag = "service";
    public const string OutcomeTag = "outcome";
    public const string OperationTag = "operation";
    public const string ModeTag = "mode";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Histogram<double> _saveDuration;
    private readonly Histogram<double> _loadDuration;
    private readonly Counter<long> _bytesWritten;
    private readonly Counter<long> _failures;
    private readonly Histogram<double> _gateWait;

    /// <param name="meterName">The meter's name.</param>
    /// <param name="meterFactory">Creates (and owns) the meter; without one the meter is created here and disposed with this object.</param>
    /// <param name="dirtyServices">Counts the services modified since their last save, for the observable gauge.</param>
    public SnapshotMetrics(string meterName, IMeterFactory? meterFactory, Func<int> dirtyServices)
    {
        if (meterFactory is not null)
        {
            _meter = meterFactory.Create(new MeterOptions(meterName));
        }
        else
        {
            _meter = new Meter(meterName);
            _ownsMeter = true;
        }

        _saveDuration = _meter.CreateHistogram<double>("localstack.persistence.save.duration", "s", "Duration of a service save: capture and write.");
        _loadDuration = _meter.CreateHistogram<double>("localstack.persistence.load.duration", "s", "Duration of a service load.");
        _bytesWritten = _meter.CreateCounter<long>("localstack.persistence.bytes_written", "By", "Bytes of snapshot files written.");
        _failures = _meter.CreateCounter<long>("localstack.persistence.failures", "{failure}", "Failed saves, loads and resets.");
        _gateWait = _meter.CreateHistogram<double>("localstack.persistence.gate.wait_time", "s", "Time spent waiting to enter a service's gate.");
        _meter.CreateObservableGauge("localstack.persistence.dirty_services", dirtyServices, "{service}", "Services modified since their last save.");
    }

    public void SaveCompleted(string serviceName, TimeSpan elapsed, bool succeeded)
        => _saveDuration.Record(elapsed.TotalSeconds, new(ServiceTag, serviceName), new(OutcomeTag, Outcome(succeeded)));

    public void LoadCompleted(string serviceName, TimeSpan elapsed, bool succeeded)
        => _loadDuration.Record(elapsed.TotalSeconds, new(ServiceTag, serviceName), new(OutcomeTag, Outcome(succeeded)));

    public void BytesWritten(string serviceName, long bytes) => _bytesWritten.Add(bytes, new KeyValuePair<string, object?>(ServiceTag, serviceName));

    public void Failed(string operation, string serviceName) => _failures.Add(1, new(OperationTag, operation), new(ServiceTag, serviceName));

    public void GateWaited(string serviceName, bool exclusive, TimeSpan elapsed)
        => _gateWait.Record(elapsed.TotalSeconds, new(ServiceTag, serviceName), new(ModeTag, exclusive ? "exclusive" : "shared"));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static string Outcome(bool succeeded) => succeeded ? "ok" : "error";
}
