using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace LocalStack.Persistence.Storage.Format;

/// <summary>
/// Reads a stream ahead on another thread: file reads, LZ4 decoding and the payload's length checks run while the
/// consumer (the deserializer) works on the chunks already produced, instead of in turn with it. At most
/// <c>depth</c> chunks are held. An error of the inner stream reaches the consumer, unchanged, at the point in the data
/// where it happened; nothing after it is handed out.
/// </summary>
internal sealed class ReadAheadStream : ForwardReadStream
{
    private const int ChunkSize = 64 * 1024;
    private const int Depth = 4;

    private readonly Stream _inner;
    private readonly Channel<(byte[] Buffer, int Length)> _chunks = Channel.CreateBounded<(byte[], int)>(
        new BoundedChannelOptions(Depth) { SingleReader = true, SingleWriter = true });

    private readonly CancellationTokenSource _stop = new();
    private Task? _producer;
    private Exception? _error;
    private byte[]? _current;
    private int _offset;
    private int _length;
    private bool _disposed;

    public ReadAheadStream(Stream inner)
    {
        _inner = inner;
    }

    public override bool CanRead => !_disposed;

    public override int Read(Span<byte> buffer)
    {
        // Rare (the stores' readers read asynchronously): waits for the producer like the asynchronous path.
        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var read = ReadAsync(rented.AsMemory(0, buffer.Length)).AsTask().GetAwaiter().GetResult();
            rented.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        _producer ??= Task.Run(ProduceAsync, CancellationToken.None);
        while (_current is null)
        {
            bool more;
            try
            {
                more = await _chunks.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (_error is not null)
            {
                more = false;
            }

            if (!more)
            {
                if (_error is not null)
                {
                    ExceptionDispatchInfo.Throw(_error);
                }

                return 0;
            }

            if (_chunks.Reader.TryRead(out var chunk))
            {
                (_current, _offset, _length) = (chunk.Buffer, 0, chunk.Length);
            }
        }

        var count = Math.Min(buffer.Length, _length - _offset);
        _current.AsSpan(_offset, count).CopyTo(buffer.Span);
        _offset += count;
        if (_offset == _length)
        {
            ArrayPool<byte>.Shared.Return(_current);
            _current = null;
        }

        return count;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _stop.Cancel();
            try
            {
                _producer?.GetAwaiter().GetResult();
            }
            catch (Exception)
            {
                // Stopped or already reported to the reader.
            }

            while (_chunks.Reader.TryRead(out var chunk))
            {
                ArrayPool<byte>.Shared.Return(chunk.Buffer);
            }

            if (_current is not null)
            {
                ArrayPool<byte>.Shared.Return(_current);
                _current = null;
            }

            _stop.Dispose();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task ProduceAsync()
    {
        try
        {
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
                var length = 0;
                ExceptionDispatchInfo? failure = null;
                try
                {
                    // Fill whole chunks: the inner stream may return a few bytes at a time (one LZ4 block's worth).
                    int read;
                    while (length < ChunkSize && (read = await _inner.ReadAsync(buffer.AsMemory(length, ChunkSize - length), _stop.Token).ConfigureAwait(false)) > 0)
                    {
                        length += read;
                    }
                }
                catch (Exception e) when (length > 0 && e is not OperationCanceledException)
                {
                    // The bytes before the error are handed out first, as the inner stream itself would have.
                    failure = ExceptionDispatchInfo.Capture(e);
                }

                if (length == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return;
                }

                try
                {
                    await _chunks.Writer.WriteAsync((buffer, length), _stop.Token).ConfigureAwait(false);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }

                failure?.Throw();
                if (length < ChunkSize)
                {
                    return; // the inner stream has ended (and checked its end)
                }
            }
        }
        catch (Exception e)
        {
            _error = e;
        }
        finally
        {
            _chunks.Writer.TryComplete();
        }
    }
}
