namespace LocalStack.Persistence.Storage.Format;

/// <summary>Blob ids: the SHA-256 of the blob's bytes as 64 lower-case hexadecimal characters (32 raw bytes in keyed records).</summary>
internal static class BlobIds
{
    public const int HexLength = 64;

    public static bool IsValid(string? blobId)
        => blobId is { Length: HexLength } && blobId.All(static c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    public static bool TryParse(string? blobId, out byte[] raw)
    {
        raw = [];
        if (!IsValid(blobId))
        {
            return false;
        }

        raw = Convert.FromHexString(blobId!);
        return true;
    }

    public static string Format(ReadOnlySpan<byte> raw) => Convert.ToHexStringLower(raw);
}
