using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Storage.Format;

namespace LocalStack.Persistence.State;

/// <summary>
/// A provider whose state is a set of records under string keys, saved incrementally: a save writes only the records
/// marked with <see cref="MarkChanged"/> since the last save (a delta file), so its cost follows what changed, not what
/// exists. A background compaction folds the deltas into a new base when they grow past a bound.
/// </summary>
/// <remarks>
/// <para>
/// Call <see cref="MarkChanged"/> for every key whose record is created, changed or removed, while the change is made
/// (inside the request). A save reads the live value of each marked key with <see cref="TryWriteValue"/> under the
/// service's exclusive gate, so the capture costs the changed records only. The first save, the first save after a
/// reset or after <see cref="MarkAllChanged"/>, and the save after a failed one write every record (a full base).
/// </para>
/// <para>
/// A load applies the base's records, then each delta's in order, through <see cref="ApplyValue"/> and
/// <see cref="ApplyRemoval"/> on an empty state, then calls <see cref="OnRestoredAsync"/>. A missing or damaged delta
/// faults the service naming the file: the state is never silently older than the last save.
/// </para>
/// <para>
/// A snapshot written before the service was keyed (a JSON payload) is handed to <see cref="RestoreWholeStateAsync"/>;
/// the next save then writes a full base, which converts it. Stores other than <see cref="FileSystemSnapshotStore"/> get
/// a full base on every save.
/// </para>
/// </remarks>
public abstract class KeyedStateProvider : IServiceStateProvider
{
    private readonly Lock _sync = new();
    private HashSet<string> _changed = new(StringComparer.Ordinal);
    private bool _allChanged = true;
    private long _committedGeneration;

    /// <summary>Creates the provider.</summary>
    /// <param name="serviceName">The service name; must satisfy <see cref="ServiceNameRules.IsValid"/>.</param>
    /// <param name="schemaVersion">The version of the records' shape.</param>
    /// <exception cref="ArgumentException">The service name is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The schema version is negative.</exception>
    protected KeyedStateProvider(string serviceName, int schemaVersion = 1)
    {
        ServiceNameRules.ThrowIfInvalid(serviceName, nameof(serviceName));
        ArgumentOutOfRangeException.ThrowIfNegative(schemaVersion);
        ServiceName = serviceName;
        SchemaVersion = schemaVersion;
    }

    /// <inheritdoc />
    public string ServiceName { get; }

    /// <inheritdoc />
    public int SchemaVersion { get; }

    /// <summary>
    /// Records that the record of <paramref name="key"/> was created, changed or removed; the next save writes its
    /// current value (or its removal). Thread-safe; cheap (a set insert).
    /// </summary>
    /// <param name="key">The record's key: 1 to 1,024 UTF-8 bytes.</param>
    /// <exception cref="ArgumentException">The key is empty, too long, or not encodable as UTF-8.</exception>
    public void MarkChanged(string key)
    {
        KeyedRecords.ThrowIfInvalidKey(key, nameof(key));
        lock (_sync)
        {
            if (!_allChanged)
            {
                _changed.Add(key);
            }
        }
    }

    /// <summary>The next save writes every record (a full base); use it after bulk changes where marking each key costs more.</summary>
    public void MarkAllChanged()
    {
        lock (_sync)
        {
            _allChanged = true;
            _changed.Clear();
        }
    }

    /// <summary>Every live key, for a full base. Called under the service's exclusive gate.</summary>
    /// <returns>The keys; each is then read with <see cref="TryWriteValue"/>.</returns>
    protected abstract IEnumerable<string> GetKeys();

    /// <summary>Writes the live record of <paramref name="key"/> as one JSON value. Called under the service's exclusive gate.</summary>
    /// <param name="key">A key from <see cref="GetKeys"/> or one marked with <see cref="MarkChanged"/>.</param>
    /// <param name="writer">Where to write the value, and the blobs it references.</param>
    /// <returns><see langword="false"/> when the key has no record (it was removed); nothing must be written then.</returns>
    protected abstract bool TryWriteValue(string key, KeyedValueWriter writer);

    /// <summary>Empties the live state: on a reset, and before a load applies records. Called under the service's exclusive gate.</summary>
    protected abstract void Clear();

    /// <summary>Sets (or replaces) the record of <paramref name="key"/> during a load. Throw <see cref="SnapshotCorruptException"/> to refuse it.</summary>
    /// <param name="key">The record's key.</param>
    /// <param name="utf8Json">The JSON value <see cref="TryWriteValue"/> wrote.</param>
    /// <param name="context">The load's context (blobs, the snapshot's location for error messages).</param>
    protected abstract void ApplyValue(string key, ReadOnlySpan<byte> utf8Json, SnapshotContext context);

    /// <summary>Removes the record of <paramref name="key"/> during a load (it may not exist).</summary>
    /// <param name="key">The record's key.</param>
    /// <param name="context">The load's context.</param>
    protected abstract void ApplyRemoval(string key, SnapshotContext context);

    /// <summary>
    /// Called under the service's exclusive gate at the start of a save, before any value is read: the place for
    /// asynchronous work the records need, such as storing the blobs of the changed records
    /// (<c>SnapshotContext.StoreBlobAsync</c>) whose ids <see cref="TryWriteValue"/> then writes.
    /// </summary>
    /// <param name="context">The save's context.</param>
    /// <param name="changedKeys">The keys this save writes, or <see langword="null"/> for a full base (every key of <see cref="GetKeys"/>).</param>
    /// <param name="cancellationToken">Cancels the save.</param>
    /// <returns>A task that completes when the records can be written.</returns>
    protected virtual ValueTask OnCapturingAsync(SnapshotContext context, IReadOnlyCollection<string>? changedKeys, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// Called after every record of a load is applied: check the state as a whole and rebuild indexes. Throw
    /// <see cref="SnapshotCorruptException"/> (<c>context.SnapshotLocation</c>) to refuse the snapshot.
    /// </summary>
    /// <param name="context">The load's context.</param>
    /// <param name="cancellationToken">Not cancelled once records were applied; present for the provider's own awaits.</param>
    /// <returns>A task that completes when the state is ready.</returns>
    protected virtual ValueTask OnRestoredAsync(SnapshotContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// Restores a snapshot written before this service's state was keyed: a JSON payload (and its asset generation).
    /// The next save writes a full base, which converts the snapshot. The default refuses it.
    /// </summary>
    /// <param name="payload">The JSON payload and its schema version.</param>
    /// <param name="context">The load's context (its asset generation).</param>
    /// <param name="cancellationToken">Cancels the restore.</param>
    /// <returns>A task that completes when the state is live.</returns>
    /// <exception cref="SnapshotCorruptException">Always, unless overridden.</exception>
    protected virtual ValueTask RestoreWholeStateAsync(SnapshotPayload payload, SnapshotContext context, CancellationToken cancellationToken)
        => throw new SnapshotCorruptException(context?.SnapshotLocation ?? ServiceName, $"it is not a keyed snapshot, and the provider of service '{ServiceName}' does not read snapshots written before it was keyed (override RestoreWholeStateAsync).");

    /// <inheritdoc />
    public async ValueTask<IStateCapture> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        cancellationToken.ThrowIfCancellationRequested();

        HashSet<string>? changed;
        long previous;
        lock (_sync)
        {
            var full = _allChanged || _committedGeneration == 0 || !context.SupportsDeltas;
            changed = full ? null : _changed;
            previous = _committedGeneration;
            _changed = new HashSet<string>(StringComparer.Ordinal);
            _allChanged = false;
        }

        var buffer = new SegmentedBufferWriter();
        try
        {
            await OnCapturingAsync(context, changed, cancellationToken).ConfigureAwait(false);
            var records = new KeyedRecordWriter(buffer);
            var value = new KeyedValueWriter(context);
            if (changed is null)
            {
                records.WriteBaseStart();
                foreach (var key in GetKeys())
                {
                    WriteRecord(records, value, key, removalIfMissing: false);
                }
            }
            else
            {
                records.WriteDeltaStart(previous);
                foreach (var key in changed)
                {
                    WriteRecord(records, value, key, removalIfMissing: true);
                }
            }

            records.WriteEnd();
            return new KeyedCapture(this, buffer, changed is not null);
        }
        catch
        {
            buffer.Dispose();
            SaveFailed();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask RestoreAsync(SnapshotPayload payload, SnapshotContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(context);
        var location = context.SnapshotLocation ?? ServiceName;
        using var records = new KeyedRecordReader(payload.Content, location);
        if (!records.TryReadBaseMagic())
        {
            var whole = new PrefixedReadStream(records.Unconsumed, payload.Content);
            await RestoreWholeStateAsync(payload with { Content = whole }, context, cancellationToken).ConfigureAwait(false);
            Restored(payload.Metadata.Generation, allChanged: true);
            return;
        }

        // Every delta is opened (and so checked end to end) before the live state is touched.
        var deltas = new List<(FileSystemSnapshotStore.DeltaFile File, SnapshotReader Reader)>();
        try
        {
            if (context.Store is FileSystemSnapshotStore store)
            {
                foreach (var file in store.ListDeltaFiles(ServiceName, payload.Metadata.Generation))
                {
                    var reader = await store.OpenDeltaAsync(file, cancellationToken).ConfigureAwait(false);
                    deltas.Add((file, reader));
                    if (reader.Metadata.ServiceName != ServiceName || reader.Metadata.Generation != file.Generation)
                    {
                        throw new SnapshotCorruptException(file.Path, $"its header names service '{reader.Metadata.ServiceName}' generation {reader.Metadata.Generation}, not service '{ServiceName}' generation {file.Generation}.");
                    }
                }
            }

            Clear();
            Apply(records, context);
            var last = payload.Metadata.Generation;
            foreach (var (file, reader) in deltas)
            {
                using var delta = new KeyedRecordReader(reader.Payload, file.Path);
                var follows = delta.ReadDeltaPreamble();
                if (follows != last)
                {
                    throw new SnapshotCorruptException(file.Path, $"it follows generation {follows}, but the snapshot before it ends at generation {last}: a delta file in between is missing.");
                }

                Apply(delta, context);
                last = file.Generation;
            }

            await OnRestoredAsync(context, cancellationToken).ConfigureAwait(false);
            Restored(last, allChanged: false);
        }
        finally
        {
            foreach (var (_, reader) in deltas)
            {
                await reader.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask ResetAsync(SnapshotContext context, CancellationToken cancellationToken = default)
    {
        Clear();
        MarkAllChanged();
        return ValueTask.CompletedTask;
    }

    /// <summary>The save of a capture reached its commit point: the next delta follows it.</summary>
    internal void SaveCommitted(long generation)
    {
        lock (_sync)
        {
            _committedGeneration = generation;
        }
    }

    /// <summary>
    /// A capture was not committed (or its outcome is unknown): the next save writes a full base, which covers the
    /// records of the lost capture and cannot fork the chain if the lost delta did reach the disk.
    /// </summary>
    internal void SaveFailed() => MarkAllChanged();

    private void Restored(long generation, bool allChanged)
    {
        lock (_sync)
        {
            _changed.Clear();
            _allChanged = allChanged;
            _committedGeneration = generation;
        }
    }

    private void WriteRecord(KeyedRecordWriter records, KeyedValueWriter value, string key, bool removalIfMissing)
    {
        value.Reset();
        if (TryWriteValue(key, value))
        {
            records.WriteValue(key, value.Blobs, value.Complete(key));
        }
        else if (removalIfMissing)
        {
            records.WriteRemoval(key);
        }
    }

    private void Apply(KeyedRecordReader records, SnapshotContext context)
    {
        while (records.Read())
        {
            if (records.Kind == KeyedRecords.Value)
            {
                ApplyValue(records.Key, records.ValueSpan, context);
            }
            else
            {
                ApplyRemoval(records.Key, context);
            }
        }
    }
}
