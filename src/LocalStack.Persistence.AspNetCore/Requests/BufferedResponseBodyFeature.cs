using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;

namespace LocalStack.Persistence.AspNetCore.Requests;

/// <summary>
/// Holds a mutating request's response (headers and body) until the request scope has ended, so that a client is never
/// told "done" before an on-request save is durable, and a failed save can still become an error response.
/// Bodies above the memory threshold spill to a temporary file (<see cref="FileBufferingWriteStream"/>).
/// </summary>
internal sealed class BufferedResponseBodyFeature : IHttpResponseBodyFeature, IAsyncDisposable
{
    private readonly FileBufferingWriteStream _buffer = new();
    private PipeWriter? _writer;

    public Stream Stream => _buffer;

    public PipeWriter Writer => _writer ??= PipeWriter.Create(_buffer, new StreamPipeWriterOptions(leaveOpen: true));

    public long Length => _buffer.Length;

    // Starting the response is deferred: nothing reaches the client before the scope ends.
    public Task StartAsync(CancellationToken cancellationToken = default) => FlushWriterAsync(cancellationToken);

    public void DisableBuffering()
    {
    }

    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        await FlushWriterAsync(cancellationToken).ConfigureAwait(false);
        await SendFileFallback.SendFileAsync(_buffer, path, offset, count, cancellationToken).ConfigureAwait(false);
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
            await _writer.CompleteAsync().ConfigureAwait(false);
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
}
