using System.Net.Sockets;
using System.Text;

namespace LocalStack.Persistence.AspNetCore.Tests.Reliability;

/// <summary>An HTTP/1.1 answer read off a raw socket.</summary>
internal sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? ContentType => Headers.GetValueOrDefault("content-type");
}

/// <summary>
/// HTTP/1.1 over a plain socket, for what <see cref="HttpClient"/> will not send: request targets it would normalise
/// (<c>%2e%2e</c>, overlong UTF-8), bodies that never end, and a response read while the body is still going out.
/// </summary>
internal sealed class RawHttp : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly Uri _address;

    private RawHttp(TcpClient client, Uri address)
    {
        _client = client;
        _stream = client.GetStream();
        _address = address;
    }

    public static async Task<RawHttp> ConnectAsync(Uri address, CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(address.Host, address.Port, cancellationToken);
        return new RawHttp(client, address);
    }

    /// <summary>Sends the request line and headers (the target is sent byte for byte, as given).</summary>
    public Task SendHeadAsync(string method, string target, IEnumerable<string> headers, CancellationToken cancellationToken)
    {
        var head = new StringBuilder()
            .Append(method).Append(' ').Append(target).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(_address.Authority).Append("\r\n");
        foreach (var header in headers)
        {
            head.Append(header).Append("\r\n");
        }

        head.Append("\r\n");
        return SendAsync(Encoding.Latin1.GetBytes(head.ToString()), cancellationToken);
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await _stream.WriteAsync(bytes, cancellationToken);
        await _stream.FlushAsync(cancellationToken);
    }

    /// <summary>One complete request with a Content-Length body, then its answer.</summary>
    public static async Task<RawResponse> SendAsync(Uri address, string method, string target, byte[] body, string? contentType, CancellationToken cancellationToken)
    {
        await using var http = await ConnectAsync(address, cancellationToken);
        var headers = new List<string> { $"Content-Length: {body.Length}", "Connection: close" };
        if (contentType is not null)
        {
            headers.Add($"Content-Type: {contentType}");
        }

        await http.SendHeadAsync(method, target, headers, cancellationToken);
        await http.SendAsync(body, cancellationToken);
        return await http.ReadResponseAsync(cancellationToken);
    }

    /// <summary>Reads one answer: status line, headers, and a Content-Length or chunked body (not to the end of the connection).</summary>
    public async Task<RawResponse> ReadResponseAsync(CancellationToken cancellationToken)
    {
        var statusLine = await ReadLineAsync(cancellationToken) ?? throw new IOException("the server closed the connection without an answer");
        var parts = statusLine.Split(' ', 3);
        var status = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (await ReadLineAsync(cancellationToken) is { Length: > 0 } line)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
        }

        var body = new MemoryStream();
        if (headers.TryGetValue("content-length", out var length))
        {
            await ReadExactlyAsync(body, long.Parse(length, System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
        }
        else if (headers.TryGetValue("transfer-encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (true)
            {
                var size = Convert.ToInt64((await ReadLineAsync(cancellationToken))!.Split(';')[0], 16);
                if (size == 0)
                {
                    while (await ReadLineAsync(cancellationToken) is { Length: > 0 })
                    {
                    }

                    break;
                }

                await ReadExactlyAsync(body, size, cancellationToken);
                await ReadLineAsync(cancellationToken);
            }
        }

        return new RawResponse(status, headers, Encoding.UTF8.GetString(body.ToArray()));
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _client.Dispose();
    }

    private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await _stream.ReadAsync(one, cancellationToken) == 0)
            {
                return line.Count == 0 ? null : Encoding.Latin1.GetString([.. line]);
            }

            if (one[0] == (byte)'\n')
            {
                return Encoding.Latin1.GetString([.. line]).TrimEnd('\r');
            }

            line.Add(one[0]);
        }
    }

    private async Task ReadExactlyAsync(MemoryStream destination, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[(int)Math.Min(count, 64 * 1024)];
        while (count > 0)
        {
            var read = await _stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(count, buffer.Length)), cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException("the server closed the connection inside the body");
            }

            destination.Write(buffer, 0, read);
            count -= read;
        }
    }
}
