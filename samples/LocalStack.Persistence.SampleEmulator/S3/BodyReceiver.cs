using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;

namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>A request body as received: its payload length, MD5 and (when the client asked for one) flexible checksum.</summary>
internal sealed record ReceivedBody(long Length, byte[] Md5, string? ChecksumAlgorithm, string? ChecksumValue)
{
    public string Md5Hex => Convert.ToHexStringLower(Md5);
}

/// <summary>
/// Reads an upload body into a destination stream: decodes <c>aws-chunked</c> framing on the fly (any network slicing),
/// checks <c>x-amz-decoded-content-length</c>, <c>Content-MD5</c>, the <c>x-amz-checksum-*</c> header or trailer and a
/// signed <c>x-amz-content-sha256</c>, and throws the S3 error a mismatch earns. The caller publishes nothing until
/// this returns.
/// </summary>
internal static class BodyReceiver
{
    private const int BufferSize = 128 * 1024;

    public static async Task<ReceivedBody> ReceiveAsync(HttpRequest request, Stream destination, string? defaultAlgorithm, CancellationToken cancellationToken)
    {
        var headers = request.Headers;
        var contentSha256 = headers["x-amz-content-sha256"].ToString();
        var chunked = contentSha256.StartsWith("STREAMING-", StringComparison.Ordinal)
            || headers.ContentEncoding.ToString().Contains("aws-chunked", StringComparison.OrdinalIgnoreCase);

        // Which checksum: a trailer announced in x-amz-trailer, a header value, or one the client asks S3 to compute.
        string? trailerName = null;
        string? algorithm = null;
        string? expected = null;
        var trailer = headers["x-amz-trailer"].ToString().Trim();
        if (trailer.Length > 0)
        {
            algorithm = trailer.StartsWith("x-amz-checksum-", StringComparison.OrdinalIgnoreCase) ? S3Checksum.Normalize(trailer["x-amz-checksum-".Length..]) : null;
            if (algorithm is null || !chunked)
            {
                throw S3Exception.InvalidRequest($"The trailer '{trailer}' is not supported (expected x-amz-checksum-<algorithm> with an aws-chunked body).");
            }

            trailerName = trailer;
        }
        else
        {
            foreach (var candidate in S3Checksum.Algorithms)
            {
                var value = headers[S3Checksum.HeaderFor(candidate)].ToString();
                if (value.Length > 0)
                {
                    (algorithm, expected) = (candidate, value);
                    break;
                }
            }
        }

        var sdkAlgorithm = headers["x-amz-sdk-checksum-algorithm"].ToString();
        if (sdkAlgorithm.Length > 0 && S3Checksum.Normalize(sdkAlgorithm) is null)
        {
            throw S3Exception.InvalidRequest($"Checksum algorithm '{sdkAlgorithm}' is not supported.");
        }

        algorithm ??= S3Checksum.Normalize(sdkAlgorithm) ?? defaultAlgorithm;

        long? decodedLength = null;
        if (chunked && headers["x-amz-decoded-content-length"].ToString() is { Length: > 0 } decodedText)
        {
            if (!long.TryParse(decodedText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                throw S3Exception.InvalidArgument("x-amz-decoded-content-length is not a number.", "x-amz-decoded-content-length", decodedText);
            }

            decodedLength = parsed;
        }

        var signedSha256 = contentSha256.Length == 64 && contentSha256.All(char.IsAsciiHexDigit) ? contentSha256 : null;

        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha256 = signedSha256 is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var checksum = algorithm is null ? null : S3Checksum.Create(algorithm);
        var decoder = chunked ? new AwsChunkedDecoder() : null;

        var input = ArrayPool<byte>.Shared.Rent(BufferSize);
        var output = decoder is null ? null : ArrayPool<byte>.Shared.Rent(BufferSize);
        long length = 0;
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(input.AsMemory(0, BufferSize), cancellationToken)) > 0)
            {
                ReadOnlyMemory<byte> payload;
                if (decoder is null)
                {
                    payload = input.AsMemory(0, read);
                }
                else
                {
                    int decoded;
                    try
                    {
                        decoded = decoder.Decode(input.AsSpan(0, read), output);
                    }
                    catch (FormatException e)
                    {
                        throw S3Exception.IncompleteBody(e.Message);
                    }

                    payload = output.AsMemory(0, decoded);
                }

                if (payload.IsEmpty)
                {
                    continue;
                }

                length += payload.Length;
                if (decodedLength is { } limit && length > limit)
                {
                    throw S3Exception.IncompleteBody($"The body carries more than the {limit} bytes announced in x-amz-decoded-content-length.");
                }

                md5.AppendData(payload.Span);
                sha256?.AppendData(payload.Span);
                checksum?.Append(payload.Span);
                await destination.WriteAsync(payload, cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
            if (output is not null)
            {
                ArrayPool<byte>.Shared.Return(output);
            }
        }

        if (decoder is not null)
        {
            try
            {
                decoder.Finish();
            }
            catch (FormatException e)
            {
                throw S3Exception.IncompleteBody(e.Message);
            }

            if (decodedLength is { } announced && announced != length)
            {
                throw S3Exception.IncompleteBody($"You did not provide the number of bytes specified by x-amz-decoded-content-length ({announced}); the body carried {length}.");
            }

            if (trailerName is not null)
            {
                expected = decoder.Trailers.TryGetValue(trailerName, out var fromTrailer) ? fromTrailer : null;
                if (expected is null)
                {
                    throw S3Exception.InvalidRequest($"The body did not end with the '{trailerName}' trailer announced in x-amz-trailer.");
                }
            }
        }

        var md5Bytes = md5.GetHashAndReset();
        if (headers["Content-MD5"].ToString() is { Length: > 0 } contentMd5)
        {
            byte[] claimed;
            try
            {
                claimed = Convert.FromBase64String(contentMd5);
            }
            catch (FormatException)
            {
                throw new S3Exception(400, "InvalidDigest", "The Content-MD5 you specified was invalid.");
            }

            if (!claimed.AsSpan().SequenceEqual(md5Bytes))
            {
                throw S3Exception.BadDigest("The Content-MD5 you specified did not match what we received.");
            }
        }

        if (sha256 is not null && !Convert.ToHexStringLower(sha256.GetHashAndReset()).Equals(signedSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new S3Exception(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
        }

        var actual = checksum?.GetBase64AndReset();
        if (expected is not null && !string.Equals(expected, actual, StringComparison.Ordinal))
        {
            throw S3Exception.BadDigest($"The {algorithm} you specified did not match the calculated checksum.");
        }

        return new ReceivedBody(length, md5Bytes, algorithm, actual);
    }

    /// <summary>Reads a small body (an XML document) into memory, with the same decoding and checks as uploads.</summary>
    public static async Task<byte[]> ReadSmallAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new LimitedMemoryStream(S3Xml.MaxBodyBytes);
        await ReceiveAsync(request, buffer, null, cancellationToken);
        return buffer.ToArray();
    }

    private sealed class LimitedMemoryStream(int limit) : MemoryStream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Length + buffer.Length > limit)
            {
                throw new S3Exception(400, "MaxMessageLengthExceeded", "Your request was too big.");
            }

            return base.WriteAsync(buffer, cancellationToken);
        }
    }
}
