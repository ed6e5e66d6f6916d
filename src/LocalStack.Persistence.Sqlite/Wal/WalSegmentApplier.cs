using System.Buffers.Binary;

namespace LocalStack.Persistence.Sqlite.Wal;

/// <summary>
/// Applies WAL segments, in the order they were shipped, to a copy of a base database: what a checkpoint does, page by
/// page. Each segment is checked first (<see cref="WalSegment.TryParse"/>), must use the base's page size and must
/// continue the segment before it when both belong to the same WAL cycle; a segment that fails is refused with the
/// reason, before any of its pages is written.
/// </summary>
internal sealed class WalSegmentApplier : IDisposable
{
    private readonly FileStream _database;
    private readonly int _pageSize;
    private WalSegment? _previous;

    /// <summary>Opens <paramref name="databasePath"/> (a base database copy, changed in place) to apply segments to.</summary>
    public WalSegmentApplier(string databasePath)
    {
        _database = new FileStream(databasePath, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.RandomAccess);
        _pageSize = ReadPageSize(_database) ?? throw new InvalidDataException("the base is not a SQLite database (no valid header)");
    }

    /// <summary>The base's page size.</summary>
    public int PageSize => _pageSize;

    /// <summary>Checks <paramref name="bytes"/> as a segment following the ones applied so far, then writes its pages.</summary>
    /// <exception cref="InvalidDataException">The segment is damaged, of another page size, or does not follow the previous one.</exception>
    public void Apply(ReadOnlyMemory<byte> bytes)
    {
        if (!WalSegment.TryParse(bytes, out var segment, out var reason))
        {
            throw new InvalidDataException(reason);
        }

        if (segment.PageSize != _pageSize)
        {
            throw new InvalidDataException($"its pages are {segment.PageSize} bytes and the base database's are {_pageSize}");
        }

        if (_previous is { } previous)
        {
            var sameCycle = previous.WalHeader == segment.WalHeader;
            if (sameCycle ? segment.FirstFrame != previous.NextFrame || segment.ChecksumBefore != previous.ChecksumAfter : segment.FirstFrame != 0)
            {
                throw new InvalidDataException($"it starts at frame {segment.FirstFrame} of its WAL, which does not follow the previous segment (frames {previous.FirstFrame} to {previous.NextFrame - 1})");
            }
        }

        foreach (var frame in segment.Frames)
        {
            var span = frame.Span;
            var page = WalFormat.PageNumber(span);
            _database.Position = (long)(page - 1) * _pageSize;
            _database.Write(span[WalFormat.FrameHeaderSize..]);

            // A commit sets the database's size: it may have shrunk (pages freed at the end) or grown.
            if (WalFormat.CommitSize(span) is var pages and not 0)
            {
                _database.SetLength((long)pages * _pageSize);
            }
        }

        _previous = segment;
    }

    /// <summary>Flushes the database file to disk.</summary>
    public void Flush() => _database.Flush(flushToDisk: true);

    public void Dispose() => _database.Dispose();

    /// <summary>The page size in a SQLite database header (offset 16, 2 bytes big-endian, 1 meaning 65536); null when not a database.</summary>
    public static int? ReadPageSize(Stream database)
    {
        Span<byte> header = stackalloc byte[100];
        database.Position = 0;
        if (database.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length || !header[..16].SequenceEqual("SQLite format 3\0"u8))
        {
            return null;
        }

        var raw = BinaryPrimitives.ReadUInt16BigEndian(header[16..]);
        var pageSize = raw == 1 ? WalFormat.MaxPageSize : raw;
        return WalFormat.IsValidPageSize((uint)pageSize) ? pageSize : null;
    }
}
