using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;

namespace LocalStack.Persistence.AspNetCore.Requests;

/// <summary>
/// Holds a mutating request's response (headers and body) until the request scope has ended, so that a client is never
/// told "done" before an on-request save is durable, and a failed save can still become an error response.
/// Bodies above the memory threshold spill to a temporary file (<see cref="FileBufferingWriteStream"/>); a body above
/// the limit fails the handler's write (<see cref="LimitExceeded"/>) rather than filling the disk.
/// </summary>
internal sealed class BufferedResponseBodyFeature : IHttpResponseBodyFeature, IAsyncDisposable
{
    private readonly FileBufferingWriteStream _buffer;
    private readonly LimitedStream _stream;
    private PipeWriter? _writer;

    public BufferedResponseBodyFeature(int memoryThreshold, long limit)
    {
        _buffer = new FileBufferingWriteStream(memoryThreshold);
        _stream = new LimitedStream(_buffer, limit);
    }

    public Stream Stream => _stream;

    public PipeWriter Writer => _writer ??= PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true));

    public long Length => _buffer.Length;

    /// <summary>Gets a value indicating whether the handler tried to write past the limit (its write failed).</summary>
    public bool LimitExceeded => _stream.Exceeded;

    /// <summary>Gets the limit, in bytes.</summary>
    public long Limit => _stream.Limit;

    // Starting the response is deferred: nothing reaches the client before the scope ends.
    public Task StartAsync(CancellationToken cancellationToken = default) => FlushWriterAsync(cancellationToken);

    public void DisableBuffering()
    {
    }

    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        await FlushWriterAsync(cancellationToken).ConfigureAwait(false);
        await SendFileFallback.SendFileAsync(_stream, path, offset, count, cancellationToken).ConfigureAwait(false);
    }

    public Task CompleteAsync() => FlushWriterAsync(CancellationToken.None);

    /// <summary>Copies what the handler wrote to the real response body.</summary>
    public async Task DrainToAsync(Stream destination, CancellationToken cancellationToken)
    {
        await FlushWriterAsync(cancellationToken).ConfigureAwait(false);
        await _buffer.DrainBufferAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_writer is not null)
        {
            try
            {
                await _writer.CompleteAsync().ConfigureAwait(false);
            }
            catch (IOException) when (LimitExceeded)
            {
                // What the pipe still held is past the limit; it is discarded with the buffer.
            }
        }

        await _buffer.DisposeAsync().ConfigureAwait(false);
    }

    private async Task FlushWriterAsync(CancellationToken cancellationToken)
    {
        if (_writer is not null)
        {
            await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Refuses a write that would take the held body past the limit; counts before anything is buffered.</summary>
    private sealed class LimitedStream(FileBufferingWriteStream inner, long limit) : Stream
    {
        public long Limit { get; } = limit;

        public bool Exceeded { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Length;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Check(buffer.Length);
            inner.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Check(buffer.Length);
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        private void Check(int count)
        {
            if (Exceeded || inner.Length + count > Limit)
            {
                Exceeded = true;
                throw new IOException(HeldResponseLimitMessage(Limit));
            }
        }
    }

    /// <summary>The error of a held response past its limit, for the handler's failed write and for the client.</summary>
    public static string HeldResponseLimitMessage(long limit)
        => $"The response of this mutating request is larger than the {limit}-byte limit on held responses "
           + $"(SnapshotPersistenceMiddlewareOptions.{nameof(SnapshotPersistenceMiddlewareOptions.MaxHeldResponseBytes)}); "
           + "it was not sent. Raise the limit, or answer with less.";
}
