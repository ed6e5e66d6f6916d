using System.Diagnostics;
using System.Text.Json;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.Benchmarks.Workload;

/// <summary>
/// The same S3-like records as the JSON providers, as a keyed state (issue 14): one record per object under the key
/// <c>bucket/key</c>, saved as a base plus deltas of the keys marked changed. Mutations take <see cref="Sync"/>
/// (requests run concurrently under the shared gate) and mark the key, as an emulator's handler does.
/// </summary>
public sealed class KeyedS3Provider(string serviceName) : KeyedStateProvider(serviceName)
{
    private long _captureStarted;
    private long _lastValueWritten;
    private long _providerTicks;

    /// <summary>Guards <see cref="Objects"/> against concurrent requests.</summary>
    public Lock Sync { get; } = new();

    /// <summary>The live records by <c>bucket/key</c>.</summary>
    public Dictionary<string, S3ObjectRecord> Objects { get; } = new(StringComparer.Ordinal);

    /// <summary>For profiling a load: <see cref="ApplyValue"/> and <see cref="ApplyRemoval"/> only count, nothing is parsed or kept.</summary>
    public bool DiscardOnRestore { get; init; }

    /// <summary>The records applied by the last load when <see cref="DiscardOnRestore"/> is set.</summary>
    public long Discarded { get; private set; }

    /// <summary>The number of records the last save wrote (changed keys, or every key for a full base).</summary>
    public int LastCaptureRecords { get; private set; }

    /// <summary>Whether the last save was a full base.</summary>
    public bool LastCaptureWasFull { get; private set; }

    /// <summary>
    /// The time the last capture spent from its start (under the service's exclusive gate) to its last record written,
    /// in milliseconds: the part of the gate hold that follows the records.
    /// </summary>
    public double LastCaptureMs => Stopwatch.GetElapsedTime(_captureStarted, _lastValueWritten).TotalMilliseconds;

    /// <summary>The time the last capture spent in the provider's own code (looking the record up, serializing it), in milliseconds.</summary>
    public double LastCaptureProviderMs => Stopwatch.GetElapsedTime(0, _providerTicks).TotalMilliseconds;

    /// <summary>The <see cref="Stopwatch"/> timestamp of the last capture's last record written (its start when it wrote none).</summary>
    public long LastCaptureEnded => _lastValueWritten;

    /// <summary>A provider holding the records of <see cref="RecordFactory.CreateState"/> (the same records, same seed).</summary>
    /// <returns>The provider and its keys in record order (index <c>i</c> is record <c>i</c>).</returns>
    public static (KeyedS3Provider Provider, string[] Keys) Create(string serviceName, int records)
    {
        var provider = new KeyedS3Provider(serviceName);
        var list = RecordFactory.CreateState(records).Objects;
        var keys = new string[list.Count];
        provider.Objects.EnsureCapacity(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            keys[i] = KeyOf(list[i]);
            provider.Objects[keys[i]] = list[i];
        }

        return (provider, keys);
    }

    /// <summary>The record's key.</summary>
    public static string KeyOf(S3ObjectRecord record) => record.Bucket + "/" + record.Key;

    /// <summary>The encoded size of one record: its JSON value as a save writes it.</summary>
    public static int EncodedSize(S3ObjectRecord record) => JsonSerializer.SerializeToUtf8Bytes(record, BenchJsonContext.Default.S3ObjectRecord).Length;

    /// <summary>A request's change: sets the size (and so the record) of <paramref name="key"/>, and marks it.</summary>
    public void Touch(string key, long size)
    {
        lock (Sync)
        {
            Objects[key] = Objects[key] with { Size = size };
        }

        MarkChanged(key);
    }

    /// <inheritdoc />
    protected override ValueTask OnCapturingAsync(SnapshotContext context, IReadOnlyCollection<string>? changedKeys, CancellationToken cancellationToken)
    {
        _captureStarted = Stopwatch.GetTimestamp();
        _lastValueWritten = _captureStarted;
        _providerTicks = 0;
        LastCaptureWasFull = changedKeys is null;
        LastCaptureRecords = changedKeys?.Count ?? Objects.Count;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override IEnumerable<string> GetKeys() => Objects.Keys;

    /// <inheritdoc />
    protected override bool TryWriteValue(string key, KeyedValueWriter writer)
    {
        // The exclusive gate keeps requests out; the lock only orders this read after their writes.
        var started = Stopwatch.GetTimestamp();
        S3ObjectRecord? record;
        lock (Sync)
        {
            Objects.TryGetValue(key, out record);
        }

        if (record is not null)
        {
            JsonSerializer.Serialize(writer.Json, record, BenchJsonContext.Default.S3ObjectRecord);
        }

        _lastValueWritten = Stopwatch.GetTimestamp();
        _providerTicks += _lastValueWritten - started;
        return record is not null;
    }

    /// <inheritdoc />
    protected override void Clear() => Objects.Clear();

    /// <inheritdoc />
    protected override void ApplyValue(string key, ReadOnlySpan<byte> utf8Json, SnapshotContext context)
    {
        if (DiscardOnRestore)
        {
            Discarded++;
            return;
        }

        Objects[key] = JsonSerializer.Deserialize(utf8Json, BenchJsonContext.Default.S3ObjectRecord)
                       ?? throw new SnapshotCorruptException(context.SnapshotLocation ?? ServiceName, $"record '{key}' is null.");
    }

    /// <inheritdoc />
    protected override void ApplyRemoval(string key, SnapshotContext context)
    {
        if (DiscardOnRestore)
        {
            Discarded++;
            return;
        }

        Objects.Remove(key);
    }
}
