using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>
/// The digests SQS returns and the SDKs verify: MD5 of the body, MD5 of the message attributes in AWS's
/// length-prefixed encoding, and SHA-256 of the body for content-based deduplication.
/// </summary>
internal static class SqsChecksums
{
    private const byte StringTransport = 1;
    private const byte BinaryTransport = 2;

    // MD5 is what the SQS wire protocol specifies for integrity checks; it is not used for security here.
#pragma warning disable CA5351
    public static string Md5OfBody(string body) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(body)));

    /// <summary>
    /// AWS's encoding: for each attribute in name order, the name, the data type, a transport byte (1 string or number,
    /// 2 binary) and the value, each string and value preceded by its 4-byte big-endian length; then MD5 in hex.
    /// </summary>
    public static string? Md5OfAttributes(IReadOnlyDictionary<string, SqsMessageAttribute>? attributes)
    {
        if (attributes is null || attributes.Count == 0)
        {
            return null;
        }

        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        foreach (var name in attributes.Keys.Order(StringComparer.Ordinal))
        {
            var attribute = attributes[name];
            AppendLengthPrefixed(md5, Encoding.UTF8.GetBytes(name));
            AppendLengthPrefixed(md5, Encoding.UTF8.GetBytes(attribute.DataType));
            if (attribute.IsBinary)
            {
                md5.AppendData([BinaryTransport]);
                AppendLengthPrefixed(md5, attribute.BinaryValue ?? []);
            }
            else
            {
                md5.AppendData([StringTransport]);
                AppendLengthPrefixed(md5, Encoding.UTF8.GetBytes(attribute.StringValue ?? ""));
            }
        }

        return Convert.ToHexStringLower(md5.GetHashAndReset());
    }
#pragma warning restore CA5351

    /// <summary>The system attributes digest: the same encoding over <c>AWSTraceHeader</c>, the only sendable one.</summary>
    public static string? Md5OfSystemAttributes(string? awsTraceHeader) => awsTraceHeader is null
        ? null
        : Md5OfAttributes(new Dictionary<string, SqsMessageAttribute>(StringComparer.Ordinal)
        {
            ["AWSTraceHeader"] = new() { DataType = "String", StringValue = awsTraceHeader },
        });

    public static string Sha256OfBody(string body) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)));

    private static void AppendLengthPrefixed(IncrementalHash hash, ReadOnlySpan<byte> value)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, value.Length);
        hash.AppendData(length);
        hash.AppendData(value);
    }
}
