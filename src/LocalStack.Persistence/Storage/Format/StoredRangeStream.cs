using System.Buffers;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace LocalStack.Persistence.Storage.Format;

/// <summary>
/// A read-only, forward-only stream over the stored payload range of an open snapshot file, read with
/// <see cref="RandomAccess"/> through one pooled buffer (the LZ4 decoder reads block headers a few bytes at a time).
/// It hashes what it reads, so that when the range has been read to its end it can prove the bytes are still the
/// ones verified before the reader was handed out (a file changed while being read is reported, not trusted).
/// It does not own the file handle.
/// </summary>
internal sealed class StoredRangeStream : ForwardReadStream
{
    private readonly SafeFileHandle _file;
    private readonly long _start;
    private readonly long _length;
    private readonly ulong _expectedHash;
    private readonly string _location;
    private readonly XxHash3 _hash = new();
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(SnapshotLayout.BufferSize);
    private long _read;     // bytes read from the file (and hashed)
    private int _bufferStart;
    private int _bufferEnd;
    private bool _verified;

    public StoredRangeStream(SafeFileHandle file, long start, long length, ulong expectedHash, string location)
    {
        _file = file;
        _start = start;
        _length = length;
        _expectedHash = expectedHash;
        _location = location;
    }

    /// <summary>Stored bytes not yet handed to the reader.</summary>
    public long Remaining => _length - _read + (_bufferEnd - _bufferStart);

    public override bool CanRead => _buffer is not null;

    /// <summary>Checks that the whole range was consumed and that its hash is still the verified one.</summary>
    public void VerifyEnd()
    {
        if (_verified)
        {
            return;
        }

        var remaining = Remaining;
        if (remaining != 0)
        {
            throw new SnapshotCorruptException(_location, $"{remaining} stored bytes follow the end of the payload");
        }

        var computed = _hash.GetCurrentHashAsUInt64();
        if (computed != _expectedHash)
        {
            throw new SnapshotCorruptException(_location, $"payload checksum mismatch while reading: stored 0x{_expectedHash:X16}, computed 0x{computed:X16} (the file changed after it was verified)");
        }

        _verified = true;
    }

    public override int Read(Span<byte> buffer)
    {
        var own = Buffer();
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_bufferStart < _bufferEnd)
        {
            return Drain(own, buffer);
        }

        var left = _length - _read;
        if (left == 0)
        {
            VerifyEnd();
            return 0;
        }

        if (buffer.Length >= own.Length)
        {
            // Large reads go straight into the caller's buffer.
            var target = buffer[..(int)Math.Min(buffer.Length, left)];
            var direct = RandomAccess.Read(_file, target, _start + _read);
            return Accept(target[..direct]);
        }

        var filled = RandomAccess.Read(_file, own.AsSpan(0, (int)Math.Min(own.Length, left)), _start + _read);
        Accept(own.AsSpan(0, filled));
        _bufferStart = 0;
        _bufferEnd = filled;
        return Drain(own, buffer);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_file.IsAsync)
        {
            // A synchronous handle would only be read on a pool thread; reading inline (mostly from the page cache) is cheaper.
            cancellationToken.ThrowIfCancellationRequested();
            return Read(buffer.Span);
        }

        var own = Buffer();
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_bufferStart < _bufferEnd)
        {
            return Drain(own, buffer.Span);
        }

        var left = _length - _read;
        if (left == 0)
        {
            VerifyEnd();
            return 0;
        }

        if (buffer.Length >= own.Length)
        {
            var target = buffer[..(int)Math.Min(buffer.Length, left)];
            var direct = await RandomAccess.ReadAsync(_file, target, _start + _read, cancellationToken).ConfigureAwait(false);
            return Accept(target.Span[..direct]);
        }

        var filled = await RandomAccess.ReadAsync(_file, own.AsMemory(0, (int)Math.Min(own.Length, left)), _start + _read, cancellationToken).ConfigureAwait(false);
        Accept(own.AsSpan(0, filled));
        _bufferStart = 0;
        _bufferEnd = filled;
        return Drain(own, buffer.Span);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }

        base.Dispose(disposing);
    }

    private int Accept(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            // The header and pass 1 matched the file size, so the file shrank after it was verified.
            throw new SnapshotCorruptException(_location, $"file ended at offset {_start + _read} inside the stored payload, which should end at offset {_start + _length} (the file was truncated after it was verified)");
        }

        _hash.Append(bytes);
        _read += bytes.Length;
        return bytes.Length;
    }

    private int Drain(byte[] own, Span<byte> destination)
    {
        var count = Math.Min(destination.Length, _bufferEnd - _bufferStart);
        own.AsSpan(_bufferStart, count).CopyTo(destination);
        _bufferStart += count;
        return count;
    }

    private byte[] Buffer()
    {
        ObjectDisposedException.ThrowIf(_buffer is null, this);
        return _buffer;
    }
}
