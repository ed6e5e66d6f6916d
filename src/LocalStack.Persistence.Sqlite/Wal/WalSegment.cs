using System.Buffers.Binary;

namespace LocalStack.Persistence.Sqlite.Wal;

/// <summary>
/// A WAL segment: the frames one save shipped, committed transactions only, with what is needed to check them again on
/// restore. Layout (big-endian): the 8 ASCII bytes <c>LSPWSEG1</c>; the WAL header the frames belong to (32 bytes, as
/// SQLite wrote it, with its checksum); the index in that WAL of the first frame; the frame count; the cumulative
/// checksum before the first frame (2 × 4 bytes); then the frames exactly as in the WAL (24-byte header and page each).
/// The last frame commits. Every frame's salts and cumulative checksum are checked as SQLite checks its own WAL, so a
/// changed byte anywhere (a frame, the header, the count) is detected.
/// </summary>
internal sealed class WalSegment
{
    public const int HeaderSize = 56;
    private const int FirstFrameOffset = 40;
    private const int FrameCountOffset = 44;
    private const int ChecksumOffset = 48;
    private static ReadOnlySpan<byte> Magic => "LSPWSEG1"u8;

    private WalSegment(ReadOnlyMemory<byte> bytes, WalHeader walHeader, uint firstFrame, uint frameCount, WalChecksum checksumBefore, WalChecksum checksumAfter, uint databasePages)
    {
        Bytes = bytes;
        WalHeader = walHeader;
        FirstFrame = firstFrame;
        FrameCount = frameCount;
        ChecksumBefore = checksumBefore;
        ChecksumAfter = checksumAfter;
        DatabasePages = databasePages;
    }

    public ReadOnlyMemory<byte> Bytes { get; }

    public WalHeader WalHeader { get; }

    public uint PageSize => WalHeader.PageSize;

    /// <summary>The index in its WAL cycle of the first frame.</summary>
    public uint FirstFrame { get; }

    public uint FrameCount { get; }

    /// <summary>The index in its WAL cycle of the frame after the last one (where the next segment of the same cycle starts).</summary>
    public uint NextFrame => FirstFrame + FrameCount;

    public WalChecksum ChecksumBefore { get; }

    public WalChecksum ChecksumAfter { get; }

    /// <summary>The database size in pages after the last commit.</summary>
    public uint DatabasePages { get; }

    /// <summary>The frames (header and page each), in WAL order.</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Frames
    {
        get
        {
            var frameSize = WalHeader.FrameSize;
            for (var i = 0; i < FrameCount; i++)
            {
                yield return Bytes.Slice(HeaderSize + (i * frameSize), frameSize);
            }
        }
    }

    /// <summary>Writes the segment header at the start of <paramref name="destination"/> (<see cref="HeaderSize"/> bytes).</summary>
    public static void WriteHeader(Span<byte> destination, in WalHeader walHeader, uint firstFrame, uint frameCount, WalChecksum checksumBefore)
    {
        Magic.CopyTo(destination);
        walHeader.WriteTo(destination[8..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination[FirstFrameOffset..], firstFrame);
        BinaryPrimitives.WriteUInt32BigEndian(destination[FrameCountOffset..], frameCount);
        BinaryPrimitives.WriteUInt32BigEndian(destination[ChecksumOffset..], checksumBefore.S0);
        BinaryPrimitives.WriteUInt32BigEndian(destination[(ChecksumOffset + 4)..], checksumBefore.S1);
    }

    /// <summary>Parses and checks a whole segment; the reason it is refused otherwise.</summary>
    public static WalSegment Parse(ReadOnlyMemory<byte> bytes)
        => TryParse(bytes, out var segment, out var reason) ? segment : throw new InvalidDataException(reason);

    public static bool TryParse(ReadOnlyMemory<byte> bytes, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WalSegment? segment, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? reason)
    {
        segment = null;
        var span = bytes.Span;
        if (span.Length < HeaderSize || !span[..8].SequenceEqual(Magic))
        {
            reason = "it is not a WAL segment (no LSPWSEG1 header)";
            return false;
        }

        if (!WalHeader.TryParse(span[8..], out var walHeader))
        {
            reason = "its WAL header is damaged";
            return false;
        }

        var firstFrame = BinaryPrimitives.ReadUInt32BigEndian(span[FirstFrameOffset..]);
        var frameCount = BinaryPrimitives.ReadUInt32BigEndian(span[FrameCountOffset..]);
        var before = new WalChecksum(BinaryPrimitives.ReadUInt32BigEndian(span[ChecksumOffset..]), BinaryPrimitives.ReadUInt32BigEndian(span[(ChecksumOffset + 4)..]));
        if (frameCount == 0 || (long)frameCount * walHeader.FrameSize != span.Length - HeaderSize)
        {
            reason = $"it holds {span.Length - HeaderSize} bytes of frames where its header announces {frameCount} frames of {walHeader.FrameSize} bytes";
            return false;
        }

        if (firstFrame == 0 && before != walHeader.Checksum)
        {
            reason = "its first frame starts the WAL but does not continue the WAL header's checksum";
            return false;
        }

        var checksum = before;
        uint databasePages = 0;
        for (var i = 0; i < frameCount; i++)
        {
            var frame = span.Slice(HeaderSize + (i * walHeader.FrameSize), walHeader.FrameSize);
            if (!WalFormat.IsValidFrame(frame, walHeader, checksum, out checksum))
            {
                reason = $"frame {firstFrame + i} fails its salt or checksum test (a changed or torn frame)";
                return false;
            }

            databasePages = WalFormat.CommitSize(frame);
        }

        if (databasePages == 0)
        {
            reason = "its last frame does not commit a transaction";
            return false;
        }

        segment = new WalSegment(bytes, walHeader, firstFrame, frameCount, before, checksum, databasePages);
        reason = null;
        return true;
    }
}
