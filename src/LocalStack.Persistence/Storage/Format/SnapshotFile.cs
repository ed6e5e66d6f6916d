using Microsoft.Win32.SafeHandles;

namespace LocalStack.Persistence.Storage.Format;

/// <summary>The fields a writer puts into a snapshot header.</summary>
internal readonly record struct SnapshotHeaderFields(
    string ServiceName,
    int SchemaVersion,
    long Generation,
    DateTimeOffset CreatedAt,
    SnapshotCodec Codec);

/// <summary>
/// Reads and writes snapshot files (format v1, see docs/snapshot-format.md).
/// TEMPORARY PLACEHOLDER: a trivial format so the store can be built; replaced by the real v1 format.
/// </summary>
internal static class SnapshotFile
{
    /// <summary>The newest format version this code reads and the one it writes.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>Writes a complete snapshot into <paramref name="destination"/> (empty, seekable, positioned at 0) and returns its metadata.</summary>
    public static async ValueTask<SnapshotMetadata> WriteAsync(Stream destination, SnapshotHeaderFields fields, SnapshotPayloadWriter writePayload, string location, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        await writePayload(buffer, cancellationToken).ConfigureAwait(false);
        var header = System.Text.Encoding.UTF8.GetBytes($"{fields.ServiceName}|{fields.SchemaVersion}|{fields.Generation}|{fields.CreatedAt.ToUnixTimeMilliseconds()}|{buffer.Length}\n");
        await destination.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        buffer.Position = 0;
        await buffer.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
        return new SnapshotMetadata(fields.ServiceName, CurrentFormatVersion, fields.SchemaVersion, fields.Generation, fields.CreatedAt, SnapshotCodec.None, buffer.Length, buffer.Length, header.Length + buffer.Length, location);
    }

    /// <summary>Reads and checks the header only. Throws <see cref="SnapshotCorruptException"/> or <see cref="SnapshotVersionException"/>.</summary>
    public static SnapshotMetadata ReadHeader(SafeFileHandle file, string location, long maxSnapshotBytes)
    {
        var length = RandomAccess.GetLength(file);
        var bytes = new byte[Math.Min(length, 4096)];
        var n = RandomAccess.Read(file, bytes, 0);
        var text = System.Text.Encoding.UTF8.GetString(bytes, 0, n);
        var nl = text.IndexOf('\n', StringComparison.Ordinal);
        var parts = nl < 0 ? [] : text[..nl].Split('|');
        if (parts.Length != 5 || !long.TryParse(parts[4], out var payloadLength) || nl + 1 + payloadLength != length || payloadLength > maxSnapshotBytes)
        {
            throw new SnapshotCorruptException(location, "placeholder header is invalid.");
        }

        var headerLength = System.Text.Encoding.UTF8.GetByteCount(text[..(nl + 1)]);
        return new SnapshotMetadata(parts[0], CurrentFormatVersion, int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture)), SnapshotCodec.None, payloadLength, payloadLength, headerLength + payloadLength, location);
    }

    /// <summary>Verifies the whole file (header, lengths, checksum, trailer) and returns a reader whose payload stream decompresses with a bound. Takes ownership of <paramref name="file"/>.</summary>
    public static ValueTask<SnapshotReader> OpenAsync(SafeFileHandle file, string location, long maxSnapshotBytes, CancellationToken cancellationToken)
    {
        try
        {
            var metadata = ReadHeader(file, location, maxSnapshotBytes);
            var payload = new byte[metadata.StoredLength];
            RandomAccess.Read(file, payload, metadata.FileLength - metadata.StoredLength);
            return ValueTask.FromResult(new SnapshotReader(metadata, new MemoryStream(payload, writable: false), file));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }
}
