using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace LocalStack.Persistence.Tests.Coordination;

public sealed class SnapshotMetricsTests : CoordinationTestBase
{
    [Test]
    public async Task The_manager_reports_saves_loads_bytes_failures_dirty_services_and_gate_waits()
    {
        // A service name no other test uses, since every manager's meter has the same name.
        const string Service = "metrics-probe";
        var measurements = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SnapshotTelemetry.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        listener.Start();

        await SeedAsync(Service, 1, "stored");
        var provider = new TestProvider(Service);
        var manager = CreateManager([provider]);
        await MutateAsync(manager, provider, "new");
        listener.RecordObservableInstruments();
        var saved = await manager.SaveAsync(Service);
        provider.FailWrite = true;
        manager.MarkModified(Service);
        await Assert.ThrowsAsync<IOException>(async () => await manager.SaveAsync(Service));

        var mine = measurements.Where(m => Equals(m.Tags.GetValueOrDefault("service"), Service) || m.Instrument == "localstack.persistence.dirty_services").ToList();
        Assert.That(mine.Where(m => m.Instrument == "localstack.persistence.load.duration").Select(m => m.Tags["outcome"]), Is.EqualTo(new[] { "ok" }));
        Assert.That(mine.Where(m => m.Instrument == "localstack.persistence.save.duration").Select(m => m.Tags["outcome"]), Is.EqualTo(new[] { "ok", "error" }));
        Assert.That(mine.Where(m => m.Instrument == "localstack.persistence.bytes_written").Select(m => m.Value), Is.EqualTo(new[] { (double)saved.FileLength }));
        Assert.That(mine.Where(m => m.Instrument == "localstack.persistence.failures").Select(m => m.Tags["operation"]), Is.EqualTo(new[] { "save" }));
        Assert.That(mine.Where(m => m.Instrument == "localstack.persistence.gate.wait_time").Select(m => m.Tags["mode"]), Does.Contain("shared").And.Contain("exclusive"));
        Assert.That(mine.Where(m => m.Instrument == "localstack.persistence.dirty_services").Select(m => m.Value), Does.Contain(1.0), "one dirty service before the save");

        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            measurements.Enqueue((instrument.Name, value, copy));
        }
    }
}
