using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>
/// The keys of S3's persisted records (see <see cref="S3StateProvider"/>): one per bucket, object, upload and part.
/// Account ids are 12 digits and bucket names have no '/', so the parts before the last one split on '/'.
/// </summary>
internal static class S3RecordKeys
{
    public const string BucketPrefix = "bucket/";
    public const string ObjectPrefix = "object/";
    public const string HashedObjectPrefix = "object#/";
    public const string UploadPrefix = "upload/";
    public const string PartPrefix = "part/";

    // A record key is at most 1,024 UTF-8 bytes, and so is an S3 object key: long keys (or keys that are not valid
    // UTF-16) are named by the SHA-256 of their UTF-16 code units instead; the record's value holds the key itself.
    private const int MaxKeyBytes = 1024;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Bucket(string accountId, string bucket) => $"{BucketPrefix}{accountId}/{bucket}";

    public static string Object(string accountId, string bucket, string key)
    {
        var plain = $"{ObjectPrefix}{accountId}/{bucket}/{key}";
        return Fits(plain) ? plain : $"{HashedObjectPrefix}{accountId}/{bucket}/{Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(key.AsSpan())))}";
    }

    public static bool IsHashed(string recordKey) => recordKey.StartsWith(HashedObjectPrefix, StringComparison.Ordinal);

    public static string Upload(string accountId, string bucket, string uploadId) => $"{UploadPrefix}{accountId}/{bucket}/{uploadId}";

    public static string Part(string accountId, string bucket, string uploadId, int partNumber)
        => $"{PartPrefix}{accountId}/{bucket}/{uploadId}/{partNumber.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Splits a record key into its prefix and <paramref name="count"/> parts after it (the last part takes the rest),
    /// or <see langword="null"/> when it does not have them.
    /// </summary>
    public static string[]? Split(string recordKey, string prefix, int count)
    {
        if (!recordKey.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var parts = recordKey[prefix.Length..].Split('/', count);
        return parts.Length == count && parts.All(p => p.Length > 0) ? parts : null;
    }

    private static bool Fits(string recordKey)
    {
        try
        {
            return StrictUtf8.GetByteCount(recordKey) <= MaxKeyBytes;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }
}
