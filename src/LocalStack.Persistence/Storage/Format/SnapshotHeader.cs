using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Microsoft.Win32.SafeHandles;
using static LocalStack.Persistence.Storage.Format.SnapshotLayout;

namespace LocalStack.Persistence.Storage.Format;

/// <summary>The decoded, checked header of a v1 snapshot file.</summary>
internal readonly record struct SnapshotHeader(
    int HeaderLength,
    SnapshotCompression Compression,
    string ServiceName,
    int SchemaVersion,
    long Generation,
    long CreatedAtUnixMilliseconds,
    long UncompressedLength,
    long StoredLength)
{
    /// <summary>Where the stored payload starts.</summary>
    public long StoredOffset => HeaderLength;

    /// <summary>The exact size of the file this header describes.</summary>
    public long FileLength => HeaderLength + StoredLength + TrailerLength;

    public SnapshotMetadata ToMetadata(string location) => new(
        ServiceName,
        SnapshotFile.CurrentFormatVersion,
        SchemaVersion,
        Generation,
        DateTimeOffset.FromUnixTimeMilliseconds(CreatedAtUnixMilliseconds),
        Compression,
        UncompressedLength,
        StoredLength,
        FileLength,
        location);

    /// <summary>The header length for a (valid, hence ASCII) service name.</summary>
    public static int GetLength(string serviceName) => FixedHeaderLength + serviceName.Length;

    /// <summary>Encodes the header, including its checksum, into exactly <see cref="HeaderLength"/> bytes.</summary>
    public void Write(Span<byte> destination)
    {
        if (destination.Length != HeaderLength)
        {
            throw new ArgumentException($"The header needs exactly {HeaderLength} bytes.", nameof(destination));
        }

        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[FormatVersionOffset..], SnapshotFile.CurrentFormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[HeaderLengthOffset..], checked((ushort)HeaderLength));
        destination[CodecOffset] = (byte)Compression;
        destination[FlagsOffset] = 0;
        destination[ServiceNameLengthOffset] = checked((byte)(HeaderLength - FixedHeaderLength));
        destination[ReservedOffset] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(destination[SchemaVersionOffset..], SchemaVersion);
        BinaryPrimitives.WriteInt64LittleEndian(destination[GenerationOffset..], Generation);
        BinaryPrimitives.WriteInt64LittleEndian(destination[CreatedAtOffset..], CreatedAtUnixMilliseconds);
        BinaryPrimitives.WriteInt64LittleEndian(destination[UncompressedLengthOffset..], UncompressedLength);
        BinaryPrimitives.WriteInt64LittleEndian(destination[StoredLengthOffset..], StoredLength);
        var nameBytes = Encoding.ASCII.GetBytes(ServiceName, destination[ServiceNameOffset..(HeaderLength - ChecksumLength)]);
        if (nameBytes != HeaderLength - FixedHeaderLength)
        {
            throw new ArgumentException("The service name does not fit the header length.", nameof(destination));
        }

        var checksumAt = HeaderLength - ChecksumLength;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[checksumAt..], Crc32.HashToUInt32(destination[..checksumAt]));
    }

    /// <summary>
    /// Reads and checks the header of <paramref name="file"/>, reading at most <see cref="MaxHeaderLength"/> bytes and
    /// allocating nothing proportional to any length field. Every field is checked in the order documented in
    /// docs/snapshot-format.md.
    /// </summary>
    /// <exception cref="SnapshotCorruptException">The header is damaged or does not match the file size.</exception>
    /// <exception cref="SnapshotVersionException">The file has a newer format version.</exception>
    public static SnapshotHeader Read(SafeFileHandle file, string location, long maxSnapshotBytes)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(location);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSnapshotBytes);

        var fileLength = RandomAccess.GetLength(file);
        Span<byte> header = stackalloc byte[MaxHeaderLength];
        var available = ReadAtMost(file, header[..(int)Math.Min(fileLength, MaxHeaderLength)]);
        header = header[..available];

        // 1. Magic: is this a snapshot file at all?
        var magicBytes = Math.Min(available, MagicLength);
        if (fileLength == 0)
        {
            throw Corrupt(location, "file is empty (0 bytes)");
        }

        if (!header[..magicBytes].SequenceEqual(Magic[..magicBytes]))
        {
            throw Corrupt(location, $"bad magic bytes {Hex(header[..magicBytes])}, expected {Hex(Magic[..magicBytes])}: not a snapshot file, or its start is damaged");
        }

        // 2. Size: enough for the smallest snapshot?
        if (fileLength < MinFileLength)
        {
            throw Corrupt(location, $"file is {fileLength} bytes, shorter than the smallest possible snapshot ({MinFileLength} bytes: a {MinHeaderLength}-byte header and a {TrailerLength}-byte trailer)");
        }

        // 3. Format version and header length are the only fields read before the checksum: a newer version
        // may lay out (and checksum) its header differently.
        var version = BinaryPrimitives.ReadUInt16LittleEndian(header[FormatVersionOffset..]);
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(header[HeaderLengthOffset..]);
        var headerLengthFits = headerLength is >= MinHeaderLength and <= MaxHeaderLength && headerLength + TrailerLength <= fileLength;
        if (version != SnapshotFile.CurrentFormatVersion)
        {
            // A v1 header whose version field alone is damaged still carries a valid v1 checksum over version 1.
            if (headerLengthFits && ChecksumMatchesWithVersion(header[..headerLength], SnapshotFile.CurrentFormatVersion))
            {
                throw Corrupt(location, $"format version field reads {version}, but the header is otherwise a valid version-{SnapshotFile.CurrentFormatVersion} header: the version field is damaged");
            }

            if (version == 0)
            {
                throw Corrupt(location, "format version 0 is not a valid version");
            }

            if (version > SnapshotFile.CurrentFormatVersion)
            {
                throw new SnapshotVersionException(location, "format", version, SnapshotFile.CurrentFormatVersion);
            }
        }

        if (headerLength is < MinHeaderLength or > MaxHeaderLength)
        {
            throw Corrupt(location, $"header length {headerLength} is outside the valid range {MinHeaderLength}..{MaxHeaderLength}");
        }

        if (headerLength + TrailerLength > fileLength)
        {
            throw Corrupt(location, $"file is {fileLength} bytes, shorter than its {headerLength}-byte header and the {TrailerLength}-byte trailer");
        }

        // 4. Header checksum: after this, every header bit is trusted as written.
        header = header[..headerLength];
        var checksumAt = headerLength - ChecksumLength;
        var storedChecksum = BinaryPrimitives.ReadUInt32LittleEndian(header[checksumAt..]);
        var computedChecksum = Crc32.HashToUInt32(header[..checksumAt]);
        if (storedChecksum != computedChecksum)
        {
            throw Corrupt(location, $"header checksum mismatch: stored 0x{storedChecksum:X8}, computed 0x{computedChecksum:X8}");
        }

        // 5. Fields: a checksummed header can still come from a buggy or hostile writer.
        if (header[FlagsOffset] != 0)
        {
            throw Corrupt(location, $"unknown header flags 0x{header[FlagsOffset]:X2}; version {SnapshotFile.CurrentFormatVersion} defines none");
        }

        if (header[ReservedOffset] != 0)
        {
            throw Corrupt(location, $"reserved header byte is 0x{header[ReservedOffset]:X2}, expected 0x00");
        }

        var codecByte = header[CodecOffset];
        if (codecByte is not ((byte)SnapshotCompression.None or (byte)SnapshotCompression.Lz4))
        {
            throw Corrupt(location, $"unknown codec {codecByte}");
        }

        var codec = (SnapshotCompression)codecByte;
        var nameLength = header[ServiceNameLengthOffset];
        if (nameLength != headerLength - FixedHeaderLength)
        {
            throw Corrupt(location, $"service name length {nameLength} does not match the header length {headerLength} (expected {headerLength - FixedHeaderLength})");
        }

        var nameBytes = header.Slice(ServiceNameOffset, nameLength);
        var serviceName = Encoding.UTF8.GetString(nameBytes);
        if (!ServiceNameRules.IsValid(serviceName) || Encoding.UTF8.GetByteCount(serviceName) != nameLength)
        {
            throw Corrupt(location, $"service name bytes {Hex(nameBytes)} are not a valid service name");
        }

        var schemaVersion = BinaryPrimitives.ReadInt32LittleEndian(header[SchemaVersionOffset..]);
        if (schemaVersion < 0)
        {
            throw Corrupt(location, $"schema version {schemaVersion} is negative");
        }

        var generation = BinaryPrimitives.ReadInt64LittleEndian(header[GenerationOffset..]);
        if (generation < 0)
        {
            throw Corrupt(location, $"generation {generation} is negative");
        }

        var createdAt = BinaryPrimitives.ReadInt64LittleEndian(header[CreatedAtOffset..]);
        if (createdAt < MinCreatedAtUnixMilliseconds || createdAt > MaxCreatedAtUnixMilliseconds)
        {
            throw Corrupt(location, $"created-at {createdAt} (Unix milliseconds) is outside the representable range");
        }

        // 6. Lengths: against the file size first (no arithmetic overflow: each is bounded before it is added),
        // then against the configured maximum. Nothing proportional to them has been allocated.
        var uncompressedLength = BinaryPrimitives.ReadInt64LittleEndian(header[UncompressedLengthOffset..]);
        var storedLength = BinaryPrimitives.ReadInt64LittleEndian(header[StoredLengthOffset..]);
        if (storedLength < 0)
        {
            throw Corrupt(location, $"stored length {storedLength} is negative");
        }

        if (uncompressedLength < 0)
        {
            throw Corrupt(location, $"uncompressed length {uncompressedLength} is negative");
        }

        if (storedLength > fileLength)
        {
            throw Corrupt(location, $"stored length {storedLength} exceeds the file size {fileLength}");
        }

        var expectedFileLength = headerLength + storedLength + TrailerLength;
        if (expectedFileLength > fileLength)
        {
            throw Corrupt(location, $"file is truncated: {fileLength} bytes, but the header describes {expectedFileLength} ({headerLength}-byte header, {storedLength} stored bytes, {TrailerLength}-byte trailer)");
        }

        if (expectedFileLength < fileLength)
        {
            throw Corrupt(location, $"file is {fileLength} bytes, {fileLength - expectedFileLength} more than the header describes ({headerLength}-byte header, {storedLength} stored bytes, {TrailerLength}-byte trailer)");
        }

        if (storedLength > maxSnapshotBytes)
        {
            throw Corrupt(location, $"stored length {storedLength} exceeds the maximum snapshot size {maxSnapshotBytes}");
        }

        if (uncompressedLength > maxSnapshotBytes)
        {
            throw Corrupt(location, $"uncompressed length {uncompressedLength} exceeds the maximum snapshot size {maxSnapshotBytes}");
        }

        if (codec == SnapshotCompression.None && uncompressedLength != storedLength)
        {
            throw Corrupt(location, $"uncompressed length {uncompressedLength} differs from the stored length {storedLength} of an uncompressed payload");
        }

        return new SnapshotHeader(headerLength, codec, serviceName, schemaVersion, generation, createdAt, uncompressedLength, storedLength);
    }

    private static bool ChecksumMatchesWithVersion(ReadOnlySpan<byte> header, ushort version)
    {
        Span<byte> copy = stackalloc byte[MaxHeaderLength];
        copy = copy[..header.Length];
        header.CopyTo(copy);
        BinaryPrimitives.WriteUInt16LittleEndian(copy[FormatVersionOffset..], version);
        var checksumAt = copy.Length - ChecksumLength;
        return BinaryPrimitives.ReadUInt32LittleEndian(copy[checksumAt..]) == Crc32.HashToUInt32(copy[..checksumAt]);
    }

    private static int ReadAtMost(SafeFileHandle file, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = RandomAccess.Read(file, buffer[total..], total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    private static SnapshotCorruptException Corrupt(string location, string reason) => new(location, reason);
}
