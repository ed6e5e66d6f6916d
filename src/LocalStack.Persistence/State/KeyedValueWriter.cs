using System.Buffers;
using System.Text.Json;
using LocalStack.Persistence.Storage.Format;

namespace LocalStack.Persistence.State;

/// <summary>
/// Where <see cref="KeyedStateProvider"/> writes one record during a save: its JSON value, and the blobs it references.
/// </summary>
public sealed class KeyedValueWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly List<byte[]> _blobs = [];

    internal KeyedValueWriter(SnapshotContext context)
    {
        Context = context;
        Json = new Utf8JsonWriter(_buffer);
    }

    /// <summary>Write exactly one JSON value (an object, an array, a string ...) here.</summary>
    public Utf8JsonWriter Json { get; }

    /// <summary>The save's context, for storing blobs (<c>SnapshotContext.StoreBlobAsync</c>).</summary>
    public SnapshotContext Context { get; }

    /// <summary>Records that this record refers to a blob, so that the blob is kept as long as the record is.</summary>
    /// <param name="blobId">The id <c>SnapshotContext.StoreBlobAsync</c> returned.</param>
    /// <exception cref="ArgumentException"><paramref name="blobId"/> is not a blob id.</exception>
    public void ReferenceBlob(string blobId)
    {
        if (!BlobIds.TryParse(blobId, out var raw))
        {
            throw new ArgumentException($"'{blobId}' is not a blob id (64 lower-case hexadecimal characters).", nameof(blobId));
        }

        _blobs.Add(raw);
    }

    internal IReadOnlyCollection<byte[]> Blobs => _blobs;

    /// <summary>The value written, after checking that it is one complete JSON value.</summary>
    internal ReadOnlySpan<byte> Complete(string key)
    {
        Json.Flush();
        if (Json.BytesCommitted == 0 || Json.CurrentDepth != 0)
        {
            throw new InvalidOperationException($"The value of record '{key}' is not one complete JSON value: write exactly one value to KeyedValueWriter.Json.");
        }

        return _buffer.WrittenSpan;
    }

    /// <summary>Ready for the next record.</summary>
    internal void Reset()
    {
        _buffer.ResetWrittenCount();
        _blobs.Clear();
        Json.Reset(_buffer);
    }
}
