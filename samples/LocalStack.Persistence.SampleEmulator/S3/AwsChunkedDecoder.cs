using System.Globalization;
using System.Text;

namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>
/// Incremental decoder of S3's <c>aws-chunked</c> content encoding:
/// <c>&lt;hex size&gt;[;chunk-signature=&lt;hex&gt;]\r\n&lt;data&gt;\r\n</c> repeated, a zero-size chunk, then trailer lines
/// (<c>x-amz-checksum-crc32:&lt;base64&gt;</c>, <c>x-amz-trailer-signature:&lt;hex&gt;</c>) and a final empty line.
/// Network reads do not align with chunks, so any slicing of the body may be fed, down to one byte at a time.
/// </summary>
internal sealed class AwsChunkedDecoder
{
    // A chunk header or trailer line longer than this is not aws-chunked framing.
    private const int MaxLineLength = 4096;

    private readonly StringBuilder _line = new();
    private readonly Dictionary<string, string> _trailers = new(StringComparer.OrdinalIgnoreCase);
    private State _state = State.ChunkHeader;
    private long _remaining;
    private bool _sawCarriageReturn;

    private enum State
    {
        ChunkHeader,
        Data,
        DataEnd,
        Trailer,
        Done,
    }

    /// <summary>The trailer headers received after the last chunk (names compared case-insensitively).</summary>
    public IReadOnlyDictionary<string, string> Trailers => _trailers;

    /// <summary>The signatures of the chunks in order (<c>chunk-signature=</c>), for signed streaming payloads.</summary>
    public List<string> ChunkSignatures { get; } = [];

    public bool IsComplete => _state == State.Done;

    /// <summary>
    /// Consumes all of <paramref name="input"/> and writes the payload bytes it contains to <paramref name="output"/>
    /// (which must be at least as long as the input).
    /// </summary>
    /// <returns>The number of payload bytes written.</returns>
    /// <exception cref="FormatException">The framing is malformed.</exception>
    public int Decode(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (output.Length < input.Length)
        {
            throw new ArgumentException("The output must be at least as long as the input.", nameof(output));
        }

        var written = 0;
        var i = 0;
        while (i < input.Length)
        {
            switch (_state)
            {
                case State.Data:
                {
                    var count = (int)Math.Min(_remaining, input.Length - i);
                    input.Slice(i, count).CopyTo(output[written..]);
                    written += count;
                    i += count;
                    _remaining -= count;
                    if (_remaining == 0)
                    {
                        _state = State.DataEnd;
                        _sawCarriageReturn = false;
                    }

                    break;
                }

                case State.DataEnd:
                {
                    var b = input[i++];
                    if (!_sawCarriageReturn && b == '\r')
                    {
                        _sawCarriageReturn = true;
                    }
                    else if (_sawCarriageReturn && b == '\n')
                    {
                        _state = State.ChunkHeader;
                        _sawCarriageReturn = false;
                    }
                    else
                    {
                        throw new FormatException("aws-chunked: a chunk's data is not followed by CRLF (its size does not match).");
                    }

                    break;
                }

                case State.ChunkHeader:
                case State.Trailer:
                {
                    if (ReadLine(input, ref i) is { } line)
                    {
                        if (_state == State.ChunkHeader)
                        {
                            OnChunkHeader(line);
                        }
                        else
                        {
                            OnTrailer(line);
                        }
                    }

                    break;
                }

                default:
                    throw new FormatException("aws-chunked: data after the end of the body.");
            }
        }

        return written;
    }

    /// <summary>Checks that the whole body was seen; a missing final empty line after the trailers is tolerated.</summary>
    /// <exception cref="FormatException">The body ended inside a chunk or before the last chunk.</exception>
    public void Finish()
    {
        if (_state == State.Done || (_state == State.Trailer && _line.Length == 0 && !_sawCarriageReturn))
        {
            _state = State.Done;
            return;
        }

        throw new FormatException("aws-chunked: the body ended before its last chunk.");
    }

    private string? ReadLine(ReadOnlySpan<byte> input, ref int i)
    {
        while (i < input.Length)
        {
            var b = input[i++];
            if (_sawCarriageReturn)
            {
                if (b != '\n')
                {
                    throw new FormatException("aws-chunked: CR not followed by LF.");
                }

                _sawCarriageReturn = false;
                var line = _line.ToString();
                _line.Clear();
                return line;
            }

            if (b == '\r')
            {
                _sawCarriageReturn = true;
            }
            else
            {
                if (_line.Length >= MaxLineLength)
                {
                    throw new FormatException("aws-chunked: a chunk header or trailer line is too long.");
                }

                _line.Append((char)b);
            }
        }

        return null;
    }

    private void OnChunkHeader(string line)
    {
        var semicolon = line.IndexOf(';', StringComparison.Ordinal);
        var sizeText = (semicolon < 0 ? line : line[..semicolon]).Trim();
        if (sizeText.Length is 0 or > 15 || !long.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0)
        {
            throw new FormatException($"aws-chunked: invalid chunk size '{Shorten(sizeText)}'.");
        }

        if (semicolon >= 0)
        {
            const string prefix = "chunk-signature=";
            var extension = line[(semicolon + 1)..].Trim();
            if (extension.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                ChunkSignatures.Add(extension[prefix.Length..]);
            }
        }

        if (size == 0)
        {
            _state = State.Trailer;
        }
        else
        {
            _remaining = size;
            _state = State.Data;
        }
    }

    private void OnTrailer(string line)
    {
        if (line.Length == 0)
        {
            _state = State.Done;
            return;
        }

        var colon = line.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new FormatException($"aws-chunked: invalid trailer line '{Shorten(line)}'.");
        }

        _trailers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
    }

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "..." : text;
}
