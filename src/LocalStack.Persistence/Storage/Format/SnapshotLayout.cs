namespace LocalStack.Persistence.Storage.Format;

/// <summary>
/// Offsets, sizes and constants of format v1 (docs/snapshot-format.md is the normative description).
/// All integers are little-endian.
/// </summary>
internal static class SnapshotLayout
{
    /// <summary>
    /// PNG-style start magic: 0x89 (not 7-bit text), "LSS", CR LF (caught by line-ending conversion), 0x1A (stops
    /// <c>type</c> on DOS), LF.
    /// </summary>
    public static ReadOnlySpan<byte> Magic => [0x89, (byte)'L', (byte)'S', (byte)'S', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>End magic, the last 8 bytes of every complete snapshot.</summary>
    public static ReadOnlySpan<byte> EndMagic => [0x89, (byte)'L', (byte)'S', (byte)'S', (byte)'E', (byte)'N', (byte)'D', 0x0A];

    public const int MagicLength = 8;
    public const int FormatVersionOffset = 8;      // u16
    public const int HeaderLengthOffset = 10;      // u16, whole header including magic and checksum
    public const int CodecOffset = 12;             // u8
    public const int FlagsOffset = 13;             // u8, 0 in v1
    public const int ServiceNameLengthOffset = 14; // u8
    public const int ReservedOffset = 15;          // u8, 0 in v1
    public const int SchemaVersionOffset = 16;     // i32
    public const int GenerationOffset = 20;        // i64
    public const int CreatedAtOffset = 28;         // i64, Unix milliseconds
    public const int UncompressedLengthOffset = 36; // i64
    public const int StoredLengthOffset = 44;      // i64
    public const int ServiceNameOffset = 52;       // UTF-8, ServiceNameLength bytes, then the u32 header checksum

    /// <summary>Header bytes besides the service name: 52 fixed bytes and the 4-byte checksum.</summary>
    public const int FixedHeaderLength = ServiceNameOffset + ChecksumLength;

    public const int ChecksumLength = 4;
    public const int MinHeaderLength = FixedHeaderLength + 1;
    public const int MaxHeaderLength = FixedHeaderLength + ServiceNameRules.MaxLength;

    public const int TrailerHashOffset = 0;        // u64 XxHash3-64 (seed 0) of the stored bytes
    public const int TrailerStoredLengthOffset = 8; // i64, repeats the header's stored length
    public const int TrailerEndMagicOffset = 16;   // 8 bytes
    public const int TrailerLength = 24;

    /// <summary>The smallest possible snapshot: shortest header, empty stored payload, trailer.</summary>
    public const int MinFileLength = MinHeaderLength + TrailerLength;

    /// <summary>Buffer size of every streaming step (pooled, never proportional to a length field).</summary>
    public const int BufferSize = 64 * 1024;

    public static readonly long MinCreatedAtUnixMilliseconds = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
    public static readonly long MaxCreatedAtUnixMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    public static string Hex(ReadOnlySpan<byte> bytes) => "0x" + Convert.ToHexString(bytes);
}
