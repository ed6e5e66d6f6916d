using Microsoft.Win32.SafeHandles;

namespace LocalStack.Persistence.Sqlite.Wal;

/// <summary>Where shipping stopped in one WAL cycle: the cycle's header, the next frame to read, the checksum so far.</summary>
internal readonly record struct WalPosition(WalHeader Header, uint NextFrame, WalChecksum Checksum)
{
    /// <summary>The byte offset of <see cref="NextFrame"/> in the WAL file.</summary>
    public long Offset => WalFormat.HeaderSize + ((long)NextFrame * Header.FrameSize);

    /// <summary>The start of the WAL cycle <paramref name="header"/> opens.</summary>
    public static WalPosition StartOf(in WalHeader header) => new(header, 0, header.Checksum);
}

/// <summary>What <see cref="WalReader.ReadCommitted"/> found.</summary>
internal enum WalReadOutcome
{
    /// <summary>The frames committed after the position (possibly none) were read; <see cref="WalReadResult.End"/> is the new position.</summary>
    Read,

    /// <summary>The WAL is not the one the position belongs to (reset by someone else, truncated, deleted): the frames since the position are lost, ship a whole database.</summary>
    Reset,
}

/// <summary>The outcome of a read, the position after the last committed frame, and the committed frames read.</summary>
internal readonly record struct WalReadResult(WalReadOutcome Outcome, WalPosition? End, uint FirstFrame, uint FrameCount, WalChecksum ChecksumBefore)
{
    /// <summary>The bytes of the frames read (without the WAL or segment header).</summary>
    public long FrameBytes => End is { } end ? (long)FrameCount * end.Header.FrameSize : 0;
}

/// <summary>
/// Reads the transactions committed to a live WAL since a position. Run it while no transaction writes (the service's
/// exclusive gate), with the database's connection open (closing the last connection checkpoints and deletes the WAL).
/// </summary>
internal static class WalReader
{
    private const int ChunkBytes = 1024 * 1024;

    /// <summary>
    /// Reads the WAL at <paramref name="walPath"/> from <paramref name="from"/> (null: from the start of whatever cycle
    /// the WAL holds, or holds next) up to and including its last valid commit frame, the way SQLite's recovery reads it:
    /// frame by frame while the salts match the header and the cumulative checksum holds. Frames after the last commit
    /// (a transaction rolled back, a torn write) and frames of an earlier cycle are left out. When
    /// <paramref name="destination"/> is given, the committed frames are written to it, after a <see cref="WalSegment"/>
    /// header; it is left empty when there are none.
    /// </summary>
    public static WalReadResult ReadCommitted(string walPath, WalPosition? from, Stream? destination)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(walPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            return NoFrames(from);
        }

        using (handle)
        {
            var length = RandomAccess.GetLength(handle);
            Span<byte> headerBytes = stackalloc byte[WalFormat.HeaderSize];
            if (length < WalFormat.HeaderSize || RandomAccess.Read(handle, headerBytes, 0) < WalFormat.HeaderSize || !WalHeader.TryParse(headerBytes, out var header))
            {
                // No valid header: SQLite reads such a WAL as empty, so nothing was committed to it.
                return NoFrames(from);
            }

            var start = from ?? WalPosition.StartOf(header);
            if (from is { } position && (position.Header != header || position.Offset > length))
            {
                return new WalReadResult(WalReadOutcome.Reset, null, 0, 0, default);
            }

            if (destination is not null)
            {
                destination.SetLength(0);
                destination.Write(new byte[WalSegment.HeaderSize]);
            }

            var frameSize = header.FrameSize;
            var buffer = new byte[Math.Max(1, ChunkBytes / frameSize) * frameSize];
            var checksum = start.Checksum;
            var committed = start;
            var frame = start.NextFrame;
            var offset = start.Offset;
            var scanning = true;
            while (scanning)
            {
                var read = ReadFully(handle, buffer, offset);
                var frames = read / frameSize;
                if (frames == 0)
                {
                    break;
                }

                var chunkStart = offset;
                for (var i = 0; i < frames; i++)
                {
                    var bytes = buffer.AsSpan(i * frameSize, frameSize);
                    if (!WalFormat.IsValidFrame(bytes, header, checksum, out checksum))
                    {
                        scanning = false;
                        frames = i;
                        break;
                    }

                    frame++;
                    if (WalFormat.CommitSize(bytes) != 0)
                    {
                        committed = new WalPosition(header, frame, checksum);
                    }
                }

                destination?.Write(buffer, 0, frames * frameSize);
                offset = chunkStart + ((long)frames * frameSize);
                scanning &= read == buffer.Length;
            }

            var count = committed.NextFrame - start.NextFrame;
            if (destination is not null)
            {
                if (count == 0)
                {
                    destination.SetLength(0);
                }
                else
                {
                    destination.SetLength(WalSegment.HeaderSize + ((long)count * frameSize));
                    var segmentHeader = new byte[WalSegment.HeaderSize];
                    WalSegment.WriteHeader(segmentHeader, header, start.NextFrame, count, start.Checksum);
                    destination.Position = 0;
                    destination.Write(segmentHeader);
                    destination.Position = destination.Length;
                }
            }

            // From the start of a cycle with nothing committed: stay at "whatever cycle comes", since SQLite rewrites the
            // header of a WAL without commits (with new salts when it never checkpointed) at the next write.
            var end = from is null && count == 0 ? (WalPosition?)null : committed;
            return new WalReadResult(WalReadOutcome.Read, end, start.NextFrame, count, start.Checksum);
        }
    }

    private static WalReadResult NoFrames(WalPosition? from)
        => from is null ? new WalReadResult(WalReadOutcome.Read, null, 0, 0, default) : new WalReadResult(WalReadOutcome.Reset, null, 0, 0, default);

    private static int ReadFully(SafeFileHandle handle, byte[] buffer, long offset)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = RandomAccess.Read(handle, buffer.AsSpan(total), offset + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }
}
