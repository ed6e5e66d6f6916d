using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using K4os.Compression.LZ4.Streams;
using Microsoft.Win32.SafeHandles;
using static LocalStack.Persistence.Storage.Format.SnapshotLayout;

namespace LocalStack.Persistence.Storage.Format;

/// <summary>The fields a writer puts into a snapshot header.</summary>
internal readonly record struct SnapshotHeaderFields(
    string ServiceName,
    int SchemaVersion,
    long Generation,
    DateTimeOffset CreatedAt,
    SnapshotCompression Compression);

/// <summary>
/// Reads and writes snapshot files, format v1: header (magic, version, fields, CRC-32), stored payload (plain or one
/// LZ4 frame of UTF-8 JSON), trailer (XxHash3-64 of the stored bytes, stored length, end magic). See
/// docs/snapshot-format.md for the byte layout, the order of the checks and the compatibility policy.
/// </summary>
internal static class SnapshotFile
{
    /// <summary>The newest format version this code reads and the one it writes.</summary>
    public const int CurrentFormatVersion = 1;

    private const long ReadAheadThreshold = 1024 * 1024;

    /// <summary>
    /// Writes a complete snapshot into <paramref name="destination"/> (empty, seekable, positioned at 0) and returns its metadata.
    /// The payload streams through the encoder and the checksum into the file; the header is written first with zero lengths
    /// and rewritten with the real lengths and its checksum at the end, so that an unfinished file never has a valid header.
    /// </summary>
    /// <param name="destination">The (temp) file; left positioned at its end. Flushing it to disk is the caller's job.</param>
    /// <param name="fields">The header fields.</param>
    /// <param name="writePayload">Writes the uncompressed UTF-8 JSON payload.</param>
    /// <param name="location">Reported in the returned metadata.</param>
    /// <param name="cancellationToken">Cancels the write; the destination is then incomplete and must be discarded.</param>
    /// <returns>The metadata of the snapshot as a reader will see it.</returns>
    public static async ValueTask<SnapshotMetadata> WriteAsync(Stream destination, SnapshotHeaderFields fields, SnapshotPayloadWriter writePayload, string location, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(writePayload);
        ArgumentNullException.ThrowIfNull(location);
        ValidateFields(fields);
        if (!destination.CanWrite || !destination.CanSeek)
        {
            throw new ArgumentException("The destination must be writable and seekable.", nameof(destination));
        }

        if (destination.Position != 0 || destination.Length != 0)
        {
            throw new ArgumentException("The destination must be empty and positioned at 0.", nameof(destination));
        }

        var headerLength = SnapshotHeader.GetLength(fields.ServiceName);
        var createdAt = fields.CreatedAt.ToUnixTimeMilliseconds();
        var frame = new byte[headerLength + TrailerLength];
        var headerBytes = frame.AsMemory(0, headerLength);
        var trailerBytes = frame.AsMemory(headerLength, TrailerLength);

        // Placeholder header: zero lengths and a zero checksum, never a valid header.
        new SnapshotHeader(headerLength, fields.Compression, fields.ServiceName, fields.SchemaVersion, fields.Generation, createdAt, 0, 0).Write(headerBytes.Span);
        headerBytes.Span[(headerLength - ChecksumLength)..].Clear();
        await destination.WriteAsync(headerBytes, cancellationToken).ConfigureAwait(false);

        long uncompressedLength;
        long storedLength;
        ulong storedHash;
        using (var stored = new StoredBytesSink(destination))
        {
            var encoder = fields.Compression == SnapshotCompression.Lz4 ? new Lz4FrameWriter(stored) : null;
            try
            {
                using var payload = new PayloadSink(encoder ?? (Stream)stored);
                await writePayload(payload, cancellationToken).ConfigureAwait(false);
                payload.Complete();
                if (encoder is not null)
                {
                    // Writes the last blocks and the LZ4 end mark.
                    await encoder.CompleteAsync(cancellationToken).ConfigureAwait(false);
                    await encoder.DisposeAsync().ConfigureAwait(false);
                    encoder = null;
                }

                await stored.CompleteAsync(cancellationToken).ConfigureAwait(false);
                uncompressedLength = payload.UncompressedLength;
                storedLength = stored.StoredLength;
                storedHash = stored.StoredHash;
            }
            finally
            {
                if (encoder is not null)
                {
                    // The save failed: release the encoder without writing its tail.
                    stored.Abandon();
                    encoder.Dispose();
                }
            }
        }

        var trailer = trailerBytes.Span;
        BinaryPrimitives.WriteUInt64LittleEndian(trailer[TrailerHashOffset..], storedHash);
        BinaryPrimitives.WriteInt64LittleEndian(trailer[TrailerStoredLengthOffset..], storedLength);
        EndMagic.CopyTo(trailer[TrailerEndMagicOffset..]);
        await destination.WriteAsync(trailerBytes, cancellationToken).ConfigureAwait(false);

        var header = new SnapshotHeader(headerLength, fields.Compression, fields.ServiceName, fields.SchemaVersion, fields.Generation, createdAt, uncompressedLength, storedLength);
        var end = destination.Position;
        if (end != header.FileLength)
        {
            throw new InvalidOperationException($"The snapshot file is {end} bytes after writing, expected {header.FileLength}; the destination was written to by someone else.");
        }

        header.Write(headerBytes.Span);
        destination.Seek(0, SeekOrigin.Begin);
        await destination.WriteAsync(headerBytes, cancellationToken).ConfigureAwait(false);
        destination.Seek(end, SeekOrigin.Begin);
        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        return header.ToMetadata(location);
    }

    /// <summary>Reads and checks the header only. Throws <see cref="SnapshotCorruptException"/> or <see cref="SnapshotVersionException"/>.</summary>
    /// <remarks>Reads at most 120 bytes; checks magic, version, header checksum, fields, and that header, stored bytes and trailer add up to the file size exactly.</remarks>
    public static SnapshotMetadata ReadHeader(SafeFileHandle file, string location, long maxSnapshotBytes) =>
        SnapshotHeader.Read(file, location, maxSnapshotBytes).ToMetadata(location);

    /// <summary>Verifies the whole file (header, lengths, checksum, trailer) and returns a reader whose payload stream decompresses with a bound. Takes ownership of <paramref name="file"/>.</summary>
    /// <remarks>
    /// Pass 1 reads the stored bytes once through a pooled buffer and compares their XxHash3-64 with the trailer, so a
    /// damaged payload is reported before any of it reaches the loader. On any failure the handle is disposed.
    /// </remarks>
    public static async ValueTask<SnapshotReader> OpenAsync(SafeFileHandle file, string location, long maxSnapshotBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        StoredRangeStream? stored = null;
        Stream? decoded = null;
        try
        {
            var header = SnapshotHeader.Read(file, location, maxSnapshotBytes);
            var storedHash = await VerifyStoredBytesAsync(file, header, location, cancellationToken).ConfigureAwait(false);
            stored = new StoredRangeStream(file, header.StoredOffset, header.StoredLength, storedHash, location);
            decoded = header.Compression == SnapshotCompression.Lz4 ? LZ4Stream.Decode(stored, DecoderSettings, leaveOpen: false) : stored;
            Stream payload = new PayloadReadStream(decoded, stored, header.UncompressedLength, location);
            if (header.UncompressedLength > ReadAheadThreshold)
            {
                // Reading and decoding overlap with the caller's deserialization; small payloads are not worth a thread.
                payload = new ReadAheadStream(payload);
            }

            return new SnapshotReader(header.ToMetadata(location), payload, owner: file);
        }
        catch
        {
            if (decoded is not null && decoded != stored)
            {
                decoded.Dispose();
            }

            stored?.Dispose();
            file.Dispose();
            throw;
        }
    }

    private static LZ4DecoderSettings DecoderSettings => new();

    private static void ValidateFields(in SnapshotHeaderFields fields)
    {
        ServiceNameRules.ThrowIfInvalid(fields.ServiceName, "fields.ServiceName");
        ArgumentOutOfRangeException.ThrowIfNegative(fields.SchemaVersion, "fields.SchemaVersion");
        ArgumentOutOfRangeException.ThrowIfNegative(fields.Generation, "fields.Generation");
        if (fields.Compression is not (SnapshotCompression.None or SnapshotCompression.Lz4))
        {
            throw new ArgumentOutOfRangeException("fields.Compression", fields.Compression, "Unknown snapshot codec.");
        }
    }

    /// <summary>Checks the trailer and the XxHash3-64 of the stored bytes; returns the hash.</summary>
    private static async ValueTask<ulong> VerifyStoredBytesAsync(SafeFileHandle file, SnapshotHeader header, string location, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var trailerOffset = header.StoredOffset + header.StoredLength;
            await ReadExactlyAtAsync(file, buffer.AsMemory(0, TrailerLength), trailerOffset, location, cancellationToken).ConfigureAwait(false);
            var endMagic = buffer.AsSpan(TrailerEndMagicOffset, EndMagic.Length);
            if (!endMagic.SequenceEqual(EndMagic))
            {
                throw new SnapshotCorruptException(location, $"bad end magic {Hex(endMagic)} at offset {trailerOffset + TrailerEndMagicOffset}, expected {Hex(EndMagic)}: the trailer is damaged or missing");
            }

            var trailerStoredLength = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(TrailerStoredLengthOffset));
            if (trailerStoredLength != header.StoredLength)
            {
                throw new SnapshotCorruptException(location, $"trailer stored length {trailerStoredLength} differs from the header's {header.StoredLength}");
            }

            var expected = BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(TrailerHashOffset));
            var hash = new XxHash3();
            var offset = header.StoredOffset;
            var left = header.StoredLength;
            while (left > 0)
            {
                var chunk = buffer.AsMemory(0, (int)Math.Min(buffer.Length, left));
                await ReadExactlyAtAsync(file, chunk, offset, location, cancellationToken).ConfigureAwait(false);
                hash.Append(chunk.Span);
                offset += chunk.Length;
                left -= chunk.Length;
            }

            var computed = hash.GetCurrentHashAsUInt64();
            if (computed != expected)
            {
                throw new SnapshotCorruptException(location, $"payload checksum mismatch: stored 0x{expected:X16}, computed 0x{computed:X16}");
            }

            return expected;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async ValueTask ReadExactlyAtAsync(SafeFileHandle file, Memory<byte> buffer, long offset, string location, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            cancellationToken.ThrowIfCancellationRequested();

            // A synchronous handle would only be read on a pool thread; reading inline (mostly from the page cache) is cheaper.
            var read = file.IsAsync
                ? await RandomAccess.ReadAsync(file, buffer, offset, cancellationToken).ConfigureAwait(false)
                : RandomAccess.Read(file, buffer.Span, offset);
            if (read == 0)
            {
                throw new SnapshotCorruptException(location, $"file ended at offset {offset} while it was being verified (it was truncated after its header was read)");
            }

            buffer = buffer[read..];
            offset += read;
        }
    }
}
