using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace LocalStack.Persistence.Storage.Format;

/// <summary>
/// The payload of a keyed snapshot (a base in <c>store.state</c>, or a delta in <c>store.delta.&lt;generation&gt;</c>):
/// a magic, for a delta the generation it follows, then records, then an end mark. See docs/snapshot-format.md.
/// <code>
/// base   "LSPK" 0x01
/// delta  "LSPD" 0x01 previous-generation (int64 LE)
/// record 0x01 key value: varint key length, key (UTF-8), varint blob count, 32 bytes per blob (SHA-256), varint value length, value (UTF-8 JSON)
///        0x02 key removal: varint key length, key (UTF-8)
/// end    0x00
/// </code>
/// </summary>
internal static class KeyedRecords
{
    public const byte End = 0;
    public const byte Value = 1;
    public const byte Removal = 2;
    public const int MaxKeyBytes = 1024;
    public const int BlobIdBytes = 32;
    public const int BaseMagicLength = 5;
    public const int DeltaPreambleLength = 13;

    /// <summary>The first bytes of a keyed base payload; a JSON payload (written before the service was keyed) never starts with them.</summary>
    public static ReadOnlySpan<byte> BaseMagic => "LSPK\u0001"u8;

    public static ReadOnlySpan<byte> DeltaMagic => "LSPD\u0001"u8;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Throws <see cref="ArgumentException"/> for a key that is empty, too long, or not encodable as UTF-8 (a lone surrogate).</summary>
    public static void ThrowIfInvalidKey(string? key, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(key, paramName);
        int length;
        try
        {
            length = StrictUtf8.GetByteCount(key);
        }
        catch (EncoderFallbackException)
        {
            length = -1;
        }

        if (length is < 0 or > MaxKeyBytes)
        {
            throw new ArgumentException($"A record key is text of 1 to {MaxKeyBytes} UTF-8 bytes without lone surrogates; '{(key.Length > 64 ? key[..64] + "..." : key)}' is not.", paramName);
        }
    }

    /// <summary>Decodes a key read from a payload; <see langword="null"/> when the bytes are not UTF-8.</summary>
    public static string? TryDecodeKey(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return StrictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}

/// <summary>Writes keyed records into a buffer.</summary>
internal sealed class KeyedRecordWriter(IBufferWriter<byte> output)
{
    public void WriteBaseStart() => Write(KeyedRecords.BaseMagic);

    public void WriteDeltaStart(long previousGeneration)
    {
        Write(KeyedRecords.DeltaMagic);
        Span<byte> previous = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(previous, previousGeneration);
        Write(previous);
    }

    public void WriteValue(string key, IReadOnlyCollection<byte[]> blobIds, ReadOnlySpan<byte> utf8Json)
    {
        WriteByte(KeyedRecords.Value);
        WriteKey(key);
        WriteVarint((ulong)blobIds.Count);
        foreach (var blob in blobIds)
        {
            Write(blob);
        }

        WriteVarint((ulong)utf8Json.Length);
        Write(utf8Json);
    }

    /// <summary>Copies a record read by <see cref="KeyedRecordReader"/> unchanged.</summary>
    public void WriteRecord(KeyedRecordReader record)
    {
        if (record.Kind == KeyedRecords.Value)
        {
            WriteValue(record.Key, record.BlobIds, record.ValueSpan);
        }
        else
        {
            WriteRemoval(record.Key);
        }
    }

    public void WriteRemoval(string key)
    {
        WriteByte(KeyedRecords.Removal);
        WriteKey(key);
    }

    public void WriteEnd() => WriteByte(KeyedRecords.End);

    private void WriteKey(string key)
    {
        var length = Encoding.UTF8.GetByteCount(key);
        WriteVarint((ulong)length);
        var span = output.GetSpan(length);
        Encoding.UTF8.GetBytes(key, span);
        output.Advance(length);
    }

    private void WriteByte(byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    private void WriteVarint(ulong value)
    {
        var span = output.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        output.Advance(i);
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        var span = output.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        output.Advance(bytes.Length);
    }
}

/// <summary>
/// Reads keyed records from a decompressed payload stream. Every length is checked against the record kind's limits
/// before anything is allocated; damage is reported as <see cref="SnapshotCorruptException"/> naming the file.
/// </summary>
internal sealed class KeyedRecordReader : IDisposable
{
    private const int MaxValueBytes = 256 * 1024 * 1024;
    private const int MaxBlobsPerRecord = 1_000_000;

    private readonly Stream _payload;
    private readonly string _location;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _start;
    private int _end;
    private byte[] _value = [];
    private int _valueLength;
    private long _offset;

    public KeyedRecordReader(Stream payload, string location)
    {
        _payload = payload;
        _location = location;
    }

    public byte Kind { get; private set; }

    public string Key { get; private set; } = "";

    public List<byte[]> BlobIds { get; } = [];

    public ReadOnlySpan<byte> ValueSpan => _value.AsSpan(0, _valueLength);

    /// <summary>Whether the payload starts with the keyed base magic; consumes the magic only when it does.</summary>
    public bool TryReadBaseMagic()
    {
        if (!Fill(KeyedRecords.BaseMagicLength) || !_buffer.AsSpan(_start, KeyedRecords.BaseMagicLength).SequenceEqual(KeyedRecords.BaseMagic))
        {
            return false;
        }

        Consume(KeyedRecords.BaseMagicLength);
        return true;
    }

    /// <summary>The bytes read ahead but not consumed (for handing a non-keyed payload to another reader).</summary>
    public ReadOnlyMemory<byte> Unconsumed => _buffer.AsMemory(_start, _end - _start);

    public long ReadDeltaPreamble()
    {
        if (!Fill(KeyedRecords.DeltaPreambleLength) || !_buffer.AsSpan(_start, KeyedRecords.BaseMagicLength).SequenceEqual(KeyedRecords.DeltaMagic))
        {
            throw Corrupt("it does not start with the delta magic 'LSPD' 0x01");
        }

        var previous = BinaryPrimitives.ReadInt64LittleEndian(_buffer.AsSpan(_start + KeyedRecords.BaseMagicLength, 8));
        Consume(KeyedRecords.DeltaPreambleLength);
        return previous;
    }

    /// <summary>Reads the next record; <see langword="false"/> at the end mark (which must be the last byte).</summary>
    public bool Read()
    {
        Kind = ReadByte();
        switch (Kind)
        {
            case KeyedRecords.End:
                if (Fill(1))
                {
                    throw Corrupt($"it has bytes after the end mark at offset {_offset - 1}");
                }

                return false;
            case KeyedRecords.Value:
                Key = ReadKey();
                var blobCount = ReadLength(MaxBlobsPerRecord, "blob count");
                BlobIds.Clear();
                for (var i = 0; i < blobCount; i++)
                {
                    BlobIds.Add(ReadBytes(KeyedRecords.BlobIdBytes).ToArray());
                }

                _valueLength = ReadLength(MaxValueBytes, "value length");
                if (_value.Length < _valueLength)
                {
                    _value = new byte[Math.Max(_valueLength, _value.Length * 2)];
                }

                ReadBytes(_valueLength).CopyTo(_value);
                return true;
            case KeyedRecords.Removal:
                Key = ReadKey();
                BlobIds.Clear();
                _valueLength = 0;
                return true;
            default:
                throw Corrupt($"it has an unknown record kind {Kind} at offset {_offset - 1}");
        }
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private string ReadKey()
    {
        var length = ReadLength(KeyedRecords.MaxKeyBytes, "key length");
        if (length == 0)
        {
            throw Corrupt($"it has an empty key at offset {_offset}");
        }

        return KeyedRecords.TryDecodeKey(ReadBytes(length)) ?? throw Corrupt($"it has a key that is not UTF-8 before offset {_offset}");
    }

    private int ReadLength(int max, string what)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = ReadByte();
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                if (value > (ulong)max)
                {
                    throw Corrupt($"it has a {what} of {value} at offset {_offset}, more than {max}");
                }

                return (int)value;
            }
        }

        throw Corrupt($"it has an overlong {what} at offset {_offset}");
    }

    private byte ReadByte()
    {
        if (!Fill(1))
        {
            throw Corrupt($"it ends at offset {_offset} inside a record, before the end mark");
        }

        var b = _buffer[_start];
        Consume(1);
        return b;
    }

    private ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count > _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(count);
            _buffer.AsSpan(_start, _end - _start).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
            _end -= _start;
            _start = 0;
        }

        if (!Fill(count))
        {
            throw Corrupt($"it ends at offset {_offset + (_end - _start)} inside a record, before the end mark");
        }

        var span = _buffer.AsSpan(_start, count);
        Consume(count);
        return span;
    }

    private void Consume(int count)
    {
        _start += count;
        _offset += count;
    }

    /// <summary>Makes at least <paramref name="count"/> bytes available; <see langword="false"/> when the stream ends first.</summary>
    private bool Fill(int count)
    {
        if (_end - _start >= count)
        {
            return true;
        }

        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        while (_end < count)
        {
            var read = _payload.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                return false;
            }

            _end += read;
        }

        return true;
    }

    private SnapshotCorruptException Corrupt(string reason) => new(_location, reason + ".");
}
