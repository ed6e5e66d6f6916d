using System.Runtime.CompilerServices;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Testing.Tests.Support;

/// <summary>One deliberate defect of <see cref="FlawedStore"/>, each the kind a real store could have.</summary>
public enum StoreFlaw
{
    /// <summary>No defect: the file-system store as it is.</summary>
    None,

    /// <summary>Metadata is read from a cache filled by the first write (a header not replaced with the file, as without an fsync-rename).</summary>
    StaleMetadata,

    /// <summary>Delete answers "deleted" and removes nothing.</summary>
    DeleteDoesNothing,

    /// <summary>Lists in reverse name order.</summary>
    ListsUnordered,

    /// <summary>Deletes the old snapshot before writing the new one (not atomic).</summary>
    DeletesBeforeWriting,

    /// <summary>Keeps only the first mebibyte of a payload.</summary>
    TruncatesPayloads,

    /// <summary>Returns metadata that claims schema version 1 whatever was written.</summary>
    MisreportsSchemaVersion,

    /// <summary>Refuses any change of schema version, also to a newer one.</summary>
    RefusesNewerSchema,

    /// <summary>Finds a generation folder for any number, also one never created.</summary>
    FindsAnyGeneration,

    /// <summary>Creating an existing generation again keeps what was staged in it.</summary>
    KeepsStagedLeftovers,

    /// <summary>Flushing a generation empties it.</summary>
    FlushEmptiesGeneration,

    /// <summary>Pruning removes every generation, also the one to keep.</summary>
    PrunesEverything,

    /// <summary>Every service shares one working folder.</summary>
    SharesWorkingFolder,

    /// <summary>Generations below one are answered, not rejected.</summary>
    AcceptsGenerationZero,

    /// <summary>The working folder of any name is created, hostile ones included.</summary>
    AcceptsAnyServiceName,
}

/// <summary>A <see cref="FileSystemSnapshotStore"/> with one <see cref="StoreFlaw"/>, to prove that the store checks can fail.</summary>
public sealed class FlawedStore(string root, StoreFlaw flaw) : ISnapshotStore, IDisposable
{
    private readonly FileSystemSnapshotStore _inner = new(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(root, "state") });
    private readonly Dictionary<string, SnapshotMetadata> _firstMetadata = new(StringComparer.Ordinal);

    public async ValueTask<SnapshotMetadata> WriteAsync(SnapshotWriteRequest request, SnapshotPayloadWriter writePayload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (flaw == StoreFlaw.DeletesBeforeWriting)
        {
            await _inner.DeleteAsync(request.ServiceName, CancellationToken.None);
        }

        if (flaw == StoreFlaw.RefusesNewerSchema && await _inner.GetMetadataAsync(request.ServiceName, cancellationToken) is { } stored && stored.SchemaVersion != request.SchemaVersion)
        {
            throw new SnapshotVersionException(stored.Location, "schema", stored.SchemaVersion, request.SchemaVersion);
        }

        SnapshotPayloadWriter writer = flaw == StoreFlaw.TruncatesPayloads
            ? (destination, ct) => writePayload(new CappedStream(destination, 1024 * 1024), ct)
            : writePayload;
        var metadata = await _inner.WriteAsync(request, writer, cancellationToken);
        lock (_firstMetadata)
        {
            _firstMetadata.TryAdd(request.ServiceName, metadata);
        }

        return flaw == StoreFlaw.MisreportsSchemaVersion ? metadata with { SchemaVersion = 1 } : metadata;
    }

    public ValueTask<SnapshotReader?> OpenReadAsync(string serviceName, CancellationToken cancellationToken = default) => _inner.OpenReadAsync(serviceName, cancellationToken);

    public async ValueTask<SnapshotMetadata?> GetMetadataAsync(string serviceName, CancellationToken cancellationToken = default)
    {
        var metadata = await _inner.GetMetadataAsync(serviceName, cancellationToken);
        if (flaw == StoreFlaw.StaleMetadata && metadata is not null)
        {
            lock (_firstMetadata)
            {
                return _firstMetadata.GetValueOrDefault(serviceName, metadata);
            }
        }

        return flaw == StoreFlaw.MisreportsSchemaVersion && metadata is not null ? metadata with { SchemaVersion = 1 } : metadata;
    }

    public ValueTask<bool> DeleteAsync(string serviceName, CancellationToken cancellationToken = default)
        => flaw == StoreFlaw.DeleteDoesNothing ? ValueTask.FromResult(true) : _inner.DeleteAsync(serviceName, cancellationToken);

    public async IAsyncEnumerable<SnapshotMetadata> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var all = new List<SnapshotMetadata>();
        await foreach (var metadata in _inner.ListAsync(cancellationToken))
        {
            all.Add(metadata);
        }

        if (flaw == StoreFlaw.ListsUnordered)
        {
            all.Reverse();
        }

        foreach (var metadata in all)
        {
            yield return metadata;
        }
    }

    public string GetWorkingDirectory(string serviceName)
    {
        if (flaw is StoreFlaw.SharesWorkingFolder or StoreFlaw.AcceptsAnyServiceName)
        {
            var shared = Path.Combine(root, "working");
            Directory.CreateDirectory(shared);
            return shared;
        }

        return _inner.GetWorkingDirectory(serviceName);
    }

    public async ValueTask<string> CreateAssetGenerationAsync(string serviceName, long generation, CancellationToken cancellationToken = default)
    {
        if (flaw == StoreFlaw.KeepsStagedLeftovers && _inner.GetAssetGenerationDirectory(serviceName, generation) is { } existing)
        {
            return existing;
        }

        return await _inner.CreateAssetGenerationAsync(serviceName, generation, cancellationToken);
    }

    public async ValueTask FlushAssetGenerationAsync(string serviceName, long generation, CancellationToken cancellationToken = default)
    {
        await _inner.FlushAssetGenerationAsync(serviceName, generation, cancellationToken);
        if (flaw == StoreFlaw.FlushEmptiesGeneration && _inner.GetAssetGenerationDirectory(serviceName, generation) is { } folder)
        {
            Directory.Delete(folder, recursive: true);
            Directory.CreateDirectory(folder);
        }
    }

    public string? GetAssetGenerationDirectory(string serviceName, long generation)
    {
        if (flaw == StoreFlaw.AcceptsGenerationZero && generation < 1)
        {
            return null;
        }

        var found = _inner.GetAssetGenerationDirectory(serviceName, generation);
        return flaw == StoreFlaw.FindsAnyGeneration ? found ?? Path.Combine(root, "state", serviceName, generation.ToString("D20", System.Globalization.CultureInfo.InvariantCulture)) : found;
    }

    public async ValueTask PruneAssetGenerationsAsync(string serviceName, long keepGeneration, CancellationToken cancellationToken = default)
    {
        await _inner.PruneAssetGenerationsAsync(serviceName, keepGeneration, cancellationToken);
        if (flaw == StoreFlaw.PrunesEverything && _inner.GetAssetGenerationDirectory(serviceName, keepGeneration) is { } kept)
        {
            Directory.Delete(kept, recursive: true);
        }
    }

    public void Dispose() => _inner.Dispose();

    /// <summary>Passes on the first <paramref name="limit"/> bytes written and silently drops the rest.</summary>
    private sealed class CappedStream(Stream inner, long limit) : Stream
    {
        private long _written;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            var take = (int)Math.Clamp(limit - _written, 0, buffer.Length);
            _written += buffer.Length;
            inner.Write(buffer[..take]);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var take = (int)Math.Clamp(limit - _written, 0, buffer.Length);
            _written += buffer.Length;
            await inner.WriteAsync(buffer[..take], cancellationToken);
        }
    }
}
