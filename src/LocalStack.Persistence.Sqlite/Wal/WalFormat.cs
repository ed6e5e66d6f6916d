using System.Buffers.Binary;

namespace LocalStack.Persistence.Sqlite.Wal;

/// <summary>
/// SQLite's write-ahead log format (https://www.sqlite.org/fileformat2.html#walformat): a 32-byte header, then frames
/// of a 24-byte header and one page. All header fields are big-endian; the checksums read the data as 32-bit words in
/// the byte order the header's magic names.
/// </summary>
internal static class WalFormat
{
    public const int HeaderSize = 32;
    public const int FrameHeaderSize = 24;
    public const uint MagicLittleEndian = 0x377f0682;
    public const uint MagicBigEndian = 0x377f0683;
    public const uint Version = 3007000;
    public const int MinPageSize = 512;
    public const int MaxPageSize = 65536;

    public static bool IsValidPageSize(uint pageSize) => pageSize is >= MinPageSize and <= MaxPageSize && (pageSize & (pageSize - 1)) == 0;

    /// <summary>SQLite's WAL checksum of <paramref name="data"/> (a multiple of 8 bytes), continuing from <paramref name="checksum"/>.</summary>
    public static WalChecksum Checksum(ReadOnlySpan<byte> data, bool bigEndian, WalChecksum checksum)
    {
        var s0 = checksum.S0;
        var s1 = checksum.S1;
        for (var i = 0; i + 8 <= data.Length; i += 8)
        {
            var x0 = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(data[i..]) : BinaryPrimitives.ReadUInt32LittleEndian(data[i..]);
            var x1 = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(data[(i + 4)..]) : BinaryPrimitives.ReadUInt32LittleEndian(data[(i + 4)..]);
            unchecked
            {
                s0 += x0 + s1;
                s1 += x1 + s0;
            }
        }

        return new WalChecksum(s0, s1);
    }

    /// <summary>
    /// The checksum of one frame: its header's first 8 bytes (page number, database size) then the page, continuing from
    /// the previous frame's (or the WAL header's) checksum.
    /// </summary>
    public static WalChecksum FrameChecksum(ReadOnlySpan<byte> frame, bool bigEndian, WalChecksum previous)
        => Checksum(frame[FrameHeaderSize..], bigEndian, Checksum(frame[..8], bigEndian, previous));

    /// <summary>
    /// Whether <paramref name="frame"/> (header and page) is a valid frame of the WAL whose header is
    /// <paramref name="header"/>, following a frame (or the header) whose checksum is <paramref name="previous"/>:
    /// the salts match the header's and the stored checksum is the cumulative one. This is SQLite's own recovery test,
    /// so a torn frame, or one left from an earlier WAL cycle, is never taken for a committed one.
    /// </summary>
    public static bool IsValidFrame(ReadOnlySpan<byte> frame, in WalHeader header, WalChecksum previous, out WalChecksum checksum)
    {
        checksum = default;
        if (BinaryPrimitives.ReadUInt32BigEndian(frame) == 0
            || BinaryPrimitives.ReadUInt32BigEndian(frame[8..]) != header.Salt1
            || BinaryPrimitives.ReadUInt32BigEndian(frame[12..]) != header.Salt2)
        {
            return false;
        }

        checksum = FrameChecksum(frame, header.BigEndianChecksum, previous);
        return checksum.S0 == BinaryPrimitives.ReadUInt32BigEndian(frame[16..]) && checksum.S1 == BinaryPrimitives.ReadUInt32BigEndian(frame[20..]);
    }

    /// <summary>The page number of a frame.</summary>
    public static uint PageNumber(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadUInt32BigEndian(frame);

    /// <summary>The database size in pages after a commit frame; 0 for a frame that does not commit.</summary>
    public static uint CommitSize(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadUInt32BigEndian(frame[4..]);
}

/// <summary>The two 32-bit words of a WAL checksum.</summary>
internal readonly record struct WalChecksum(uint S0, uint S1);

/// <summary>A WAL header, parsed and checked (magic, version, page size, its own checksum).</summary>
internal readonly record struct WalHeader(uint Magic, uint PageSize, uint CheckpointSequence, uint Salt1, uint Salt2, WalChecksum Checksum)
{
    public bool BigEndianChecksum => Magic == WalFormat.MagicBigEndian;

    public int FrameSize => WalFormat.FrameHeaderSize + (int)PageSize;

    /// <summary>Parses the 32 bytes of a WAL header; false when they are not a valid header (a torn or foreign file).</summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, out WalHeader header)
    {
        header = default;
        if (bytes.Length < WalFormat.HeaderSize)
        {
            return false;
        }

        var magic = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        var pageSize = BinaryPrimitives.ReadUInt32BigEndian(bytes[8..]);
        if (magic is not (WalFormat.MagicLittleEndian or WalFormat.MagicBigEndian)
            || BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]) != WalFormat.Version
            || !WalFormat.IsValidPageSize(pageSize))
        {
            return false;
        }

        var checksum = WalFormat.Checksum(bytes[..24], magic == WalFormat.MagicBigEndian, default);
        if (checksum.S0 != BinaryPrimitives.ReadUInt32BigEndian(bytes[24..]) || checksum.S1 != BinaryPrimitives.ReadUInt32BigEndian(bytes[28..]))
        {
            return false;
        }

        header = new WalHeader(magic, pageSize, BinaryPrimitives.ReadUInt32BigEndian(bytes[12..]), BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]), BinaryPrimitives.ReadUInt32BigEndian(bytes[20..]), checksum);
        return true;
    }

    /// <summary>Writes the header as SQLite stores it (with its checksum).</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, Magic);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], WalFormat.Version);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], PageSize);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], CheckpointSequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], Salt1);
        BinaryPrimitives.WriteUInt32BigEndian(destination[20..], Salt2);
        BinaryPrimitives.WriteUInt32BigEndian(destination[24..], Checksum.S0);
        BinaryPrimitives.WriteUInt32BigEndian(destination[28..], Checksum.S1);
    }
}
