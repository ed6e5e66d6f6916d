using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using K4os.Compression.LZ4;

namespace LocalStack.Persistence.Storage.Format;

/// <summary>
/// Writes one standard LZ4 frame (independent 64 KiB blocks, no checksums: the snapshot trailer hashes every stored
/// byte) and compresses its blocks in parallel on the thread pool while the payload is still being produced; blocks
/// reach <c>next</c> in order. Accepts the payload as stream writes or, so that a serializer can write straight into
/// the blocks without an intermediate buffer, through <see cref="IBufferWriter{T}"/>.
/// </summary>
/// <remarks>
/// Independent blocks are what makes the parallelism possible (a linked block needs the previous one's output); any
/// LZ4 frame decoder reads them. At most <see cref="MaxInFlight"/> blocks are held at once, so memory stays bounded
/// (a few hundred KiB) whatever the payload size. Not thread-safe: one producer.
/// </remarks>
internal sealed class Lz4FrameWriter : ForwardWriteStream, IBufferWriter<byte>
{
    /// <summary>The maximum block size, as declared in the frame descriptor (BD = 4: 64 KiB).</summary>
    public const int BlockSize = 64 * 1024;

    private const uint UncompressedFlag = 0x8000_0000;
    private const byte FrameFlags = 0b0110_0000; // version 01, independent blocks, no checksums, no content size
    private const byte BlockDescriptor = 4 << 4; // 64 KiB maximum block size

    private static readonly int MaxInFlight = Math.Max(2, Environment.ProcessorCount * 2);

    private readonly Stream _next;
    private readonly Queue<Task<EncodedBlock>> _pending = new();
    private byte[]? _block;
    private int _filled;
    private byte[]? _scratch;
    private bool _completed;
    private bool _disposed;

    public Lz4FrameWriter(Stream next)
    {
        _next = next;
        Span<byte> header = stackalloc byte[7];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0x184D2204);
        header[4] = FrameFlags;
        header[5] = BlockDescriptor;
        header[6] = (byte)(XxHash32.HashToUInt32(header[4..6]) >> 8);
        _next.Write(header);
    }

    public override bool CanWrite => !_completed && !_disposed;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfNotWritable();
        while (!buffer.IsEmpty)
        {
            buffer = buffer[Fill(buffer)..];
            if (_filled == BlockSize)
            {
                Submit();
                DrainSync(MaxInFlight - 1);
            }
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfNotWritable();
        while (!buffer.IsEmpty)
        {
            buffer = buffer[Fill(buffer.Span)..];
            if (_filled == BlockSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Submit();
                await DrainAsync(MaxInFlight - 1, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        ThrowIfNotWritable();
        var needed = Math.Max(sizeHint, 1);
        if (needed > BlockSize)
        {
            // A value larger than a block (a long string): handed out whole, cut into blocks on Advance.
            if (_scratch is null || _scratch.Length < needed)
            {
                ReturnScratch();
                _scratch = ArrayPool<byte>.Shared.Rent(needed);
            }

            return _scratch;
        }

        if (_block is not null && BlockSize - _filled < needed)
        {
            // Blocks may be shorter than the maximum: closing this one early beats splitting the writer's span.
            Submit();
            DrainSync(MaxInFlight - 1);
        }

        _block ??= ArrayPool<byte>.Shared.Rent(BlockSize);
        return _block.AsMemory(_filled, BlockSize - _filled);
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ThrowIfNotWritable();
        if (_scratch is not null)
        {
            var scratch = _scratch;
            _scratch = null;
            try
            {
                Write(scratch.AsSpan(0, count));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }

            return;
        }

        if (_block is null || count > BlockSize - _filled)
        {
            throw new InvalidOperationException("Cannot advance past the end of the memory handed out.");
        }

        _filled += count;
        if (_filled == BlockSize)
        {
            Submit();
            DrainSync(MaxInFlight - 1);
        }
    }

    /// <summary>Compresses the last block, writes every block in order and the frame's end mark.</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        ThrowIfNotWritable();
        ReturnScratch();
        if (_filled > 0)
        {
            Submit();
        }

        await DrainAsync(0, cancellationToken).ConfigureAwait(false);
        Span<byte> endMark = stackalloc byte[4];
        endMark.Clear();
        _next.Write(endMark);
        _completed = true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;

            // Abandoned (a failed or cancelled save): nothing more is written; the workers' buffers go back to the pool.
            while (_pending.TryDequeue(out var task))
            {
                try
                {
                    task.GetAwaiter().GetResult().Return();
                }
                catch (Exception)
                {
                    // The save has already failed; this block's error adds nothing.
                }
            }

            if (_block is not null)
            {
                ArrayPool<byte>.Shared.Return(_block);
                _block = null;
            }

            ReturnScratch();
        }

        base.Dispose(disposing);
    }

    private static EncodedBlock Encode(byte[] block, int length)
    {
        var output = ArrayPool<byte>.Shared.Rent(sizeof(uint) + BlockSize);
        try
        {
            var source = block.AsSpan(0, length);
            var encoded = LZ4Codec.Encode(source, output.AsSpan(sizeof(uint), length), LZ4Level.L00_FAST);
            if (encoded > 0 && encoded < length)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(output, (uint)encoded);
                return new EncodedBlock(output, sizeof(uint) + encoded);
            }

            // Incompressible: stored as is, flagged in the block size.
            source.CopyTo(output.AsSpan(sizeof(uint)));
            BinaryPrimitives.WriteUInt32LittleEndian(output, (uint)length | UncompressedFlag);
            return new EncodedBlock(output, sizeof(uint) + length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(output);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    private int Fill(ReadOnlySpan<byte> data)
    {
        _block ??= ArrayPool<byte>.Shared.Rent(BlockSize);
        var count = Math.Min(BlockSize - _filled, data.Length);
        data[..count].CopyTo(_block.AsSpan(_filled));
        _filled += count;
        return count;
    }

    private void Submit()
    {
        var block = _block!;
        var length = _filled;
        _block = null;
        _filled = 0;
        _pending.Enqueue(Task.Run(() => Encode(block, length)));
    }

    private void DrainSync(int keep)
    {
        while (_pending.Count > keep || (_pending.Count > 0 && _pending.Peek().IsCompleted))
        {
            WriteBlock(_pending.Dequeue().GetAwaiter().GetResult());
        }
    }

    private async ValueTask DrainAsync(int keep, CancellationToken cancellationToken)
    {
        while (_pending.Count > keep || (_pending.Count > 0 && _pending.Peek().IsCompleted))
        {
            // Dequeued only once finished, so that a cancelled wait leaves the block for Dispose to return.
            var encoded = await _pending.Peek().WaitAsync(cancellationToken).ConfigureAwait(false);
            _ = _pending.Dequeue();
            try
            {
                await _next.WriteAsync(encoded.Bytes, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                encoded.Return();
            }
        }
    }

    private void WriteBlock(EncodedBlock encoded)
    {
        try
        {
            _next.Write(encoded.Bytes.Span);
        }
        finally
        {
            encoded.Return();
        }
    }

    private void ReturnScratch()
    {
        if (_scratch is not null)
        {
            ArrayPool<byte>.Shared.Return(_scratch);
            _scratch = null;
        }
    }

    private void ThrowIfNotWritable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed)
        {
            throw new InvalidOperationException("The LZ4 frame is already complete.");
        }
    }

    private readonly record struct EncodedBlock(byte[] Buffer, int Length)
    {
        public ReadOnlyMemory<byte> Bytes => Buffer.AsMemory(0, Length);

        public void Return() => ArrayPool<byte>.Shared.Return(Buffer);
    }
}
