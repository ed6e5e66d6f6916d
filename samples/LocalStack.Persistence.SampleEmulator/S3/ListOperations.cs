using System.Globalization;
using System.Text;
using System.Xml;

namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>ListObjectsV2, ListObjects (v1) and DeleteObjects.</summary>
internal sealed class ListOperations(S3Store store)
{
    private const int MaxKeys = 1000;

    /// <summary>One page of a listing: objects and common prefixes, in key order, and where the next page starts.</summary>
    private sealed record Page(List<S3Object> Contents, List<string> CommonPrefixes, bool IsTruncated, string? LastEntry);

    public Task ListObjectsV2Async(S3Request r)
    {
        var prefix = r.Query("prefix") ?? string.Empty;
        var delimiter = NullIfEmpty(r.Query("delimiter"));
        var maxKeys = ParseMaxKeys(r.Query("max-keys"));
        var token = r.Query("continuation-token");
        var startAfter = r.Query("start-after");
        var encode = ParseEncoding(r.Query("encoding-type"));
        string? marker = startAfter;
        if (token is not null)
        {
            marker = DecodeToken(token);
        }

        var page = List(r, prefix, delimiter, maxKeys, marker);
        return S3Xml.WriteAsync(r.Response, "ListBucketResult", xml =>
        {
            xml.WriteElementString("Name", r.Bucket);
            xml.WriteElementString("Prefix", encode(prefix));
            if (delimiter is not null)
            {
                xml.WriteElementString("Delimiter", encode(delimiter));
            }

            xml.WriteElementString("MaxKeys", maxKeys.ToString(CultureInfo.InvariantCulture));
            if (r.Query("encoding-type") is { Length: > 0 } encodingType)
            {
                xml.WriteElementString("EncodingType", encodingType);
            }

            xml.WriteElementString("KeyCount", (page.Contents.Count + page.CommonPrefixes.Count).ToString(CultureInfo.InvariantCulture));
            xml.WriteElementString("IsTruncated", page.IsTruncated ? "true" : "false");
            if (token is not null)
            {
                xml.WriteElementString("ContinuationToken", token);
            }

            if (page.IsTruncated)
            {
                xml.WriteElementString("NextContinuationToken", EncodeToken(page.LastEntry!));
            }

            if (startAfter is not null)
            {
                xml.WriteElementString("StartAfter", encode(startAfter));
            }

            WriteEntries(xml, page, encode, r.Query("fetch-owner") == "true" ? r.AccountId : null);
        }, r.Aborted);
    }

    public Task ListObjectsAsync(S3Request r)
    {
        var prefix = r.Query("prefix") ?? string.Empty;
        var delimiter = NullIfEmpty(r.Query("delimiter"));
        var maxKeys = ParseMaxKeys(r.Query("max-keys"));
        var marker = r.Query("marker");
        var encode = ParseEncoding(r.Query("encoding-type"));
        var page = List(r, prefix, delimiter, maxKeys, marker);
        return S3Xml.WriteAsync(r.Response, "ListBucketResult", xml =>
        {
            xml.WriteElementString("Name", r.Bucket);
            xml.WriteElementString("Prefix", encode(prefix));
            xml.WriteElementString("Marker", encode(marker ?? string.Empty));
            if (delimiter is not null)
            {
                xml.WriteElementString("Delimiter", encode(delimiter));
            }

            xml.WriteElementString("MaxKeys", maxKeys.ToString(CultureInfo.InvariantCulture));
            if (r.Query("encoding-type") is { Length: > 0 } encodingType)
            {
                xml.WriteElementString("EncodingType", encodingType);
            }

            xml.WriteElementString("IsTruncated", page.IsTruncated ? "true" : "false");
            if (page.IsTruncated && delimiter is not null)
            {
                xml.WriteElementString("NextMarker", encode(page.LastEntry!));
            }

            WriteEntries(xml, page, encode, r.AccountId);
        }, r.Aborted);
    }

    public async Task DeleteObjectsAsync(S3Request r)
    {
        var document = S3Xml.ReadBody(await BodyReceiver.ReadSmallAsync(r.Http, r.Aborted));
        var quiet = string.Equals(document.ChildValue("Quiet"), "true", StringComparison.OrdinalIgnoreCase);
        var keys = document.Children("Object").Select(o => o.ChildValue("Key")).ToList();
        if (keys.Count is 0 or > MaxKeys || keys.Any(k => string.IsNullOrEmpty(k)))
        {
            throw S3Exception.MalformedXml();
        }

        var deletedFiles = new List<string>();
        lock (store.Sync)
        {
            var bucket = store.GetBucket(r.AccountId, r.Bucket!);
            foreach (var key in keys)
            {
                if (store.RemoveObject(r.AccountId, bucket, key!) is { } removed)
                {
                    deletedFiles.Add(removed);
                }
            }
        }

        store.DeleteFiles(deletedFiles);
        await S3Xml.WriteAsync(r.Response, "DeleteResult", xml =>
        {
            if (quiet)
            {
                return; // quiet mode reports errors only, and deleting a missing key is not an error in S3
            }

            foreach (var key in keys)
            {
                xml.WriteStartElement("Deleted");
                xml.WriteElementString("Key", key);
                xml.WriteEndElement();
            }
        }, r.Aborted);
    }

    /// <summary>
    /// Walks keys in order after <paramref name="marker"/>. With a delimiter, keys that contain it after the prefix roll
    /// up into one common prefix each; an entry (key or common prefix) is listed only if it sorts after the marker, so a
    /// continuation that ended on a common prefix skips the rest of its keys.
    /// </summary>
    private Page List(S3Request r, string prefix, string? delimiter, int maxKeys, string? marker)
    {
        var contents = new List<S3Object>();
        var prefixes = new List<string>();
        string? last = null;
        var truncated = false;
        lock (store.Sync)
        {
            var objects = store.GetBucket(r.AccountId, r.Bucket!).Objects;
            var keys = objects.Keys;
            var from = marker is not null && string.CompareOrdinal(marker, prefix) >= 0 ? marker : prefix;
            for (var i = LowerBound(keys, from); i < keys.Count; i++)
            {
                var key = keys[i];
                if (!key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    break;
                }

                var entry = key;
                var isPrefix = false;
                if (delimiter is not null)
                {
                    var at = key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                    if (at >= 0)
                    {
                        entry = key[..(at + delimiter.Length)];
                        isPrefix = true;
                    }
                }

                if ((marker is not null && string.CompareOrdinal(entry, marker) <= 0) || entry == last)
                {
                    continue;
                }

                if (contents.Count + prefixes.Count >= maxKeys)
                {
                    truncated = true;
                    break;
                }

                if (isPrefix)
                {
                    prefixes.Add(entry);
                }
                else
                {
                    contents.Add(objects.Values[i]);
                }

                last = entry;
            }
        }

        return new Page(contents, prefixes, truncated, last);
    }

    private static void WriteEntries(XmlWriter xml, Page page, Func<string, string> encode, string? owner)
    {
        foreach (var item in page.Contents)
        {
            xml.WriteStartElement("Contents");
            xml.WriteElementString("Key", encode(item.Key));
            xml.WriteElementString("LastModified", S3Xml.Timestamp(item.LastModified));
            xml.WriteElementString("ETag", item.ETag);
            if (item.Attributes.ChecksumAlgorithm is { } algorithm)
            {
                xml.WriteElementString("ChecksumAlgorithm", algorithm);
                xml.WriteElementString("ChecksumType", item.ChecksumValue?.Contains('-', StringComparison.Ordinal) == true ? "COMPOSITE" : "FULL_OBJECT");
            }

            xml.WriteElementString("Size", item.Size.ToString(CultureInfo.InvariantCulture));
            if (owner is not null)
            {
                xml.WriteStartElement("Owner");
                xml.WriteElementString("ID", owner);
                xml.WriteElementString("DisplayName", "webfile");
                xml.WriteEndElement();
            }

            xml.WriteElementString("StorageClass", "STANDARD");
            xml.WriteEndElement();
        }

        foreach (var commonPrefix in page.CommonPrefixes)
        {
            xml.WriteStartElement("CommonPrefixes");
            xml.WriteElementString("Prefix", encode(commonPrefix));
            xml.WriteEndElement();
        }
    }

    /// <summary>The index of the first key not less than <paramref name="value"/> (ordinal).</summary>
    private static int LowerBound(IList<string> keys, string value)
    {
        int low = 0, high = keys.Count;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (string.CompareOrdinal(keys[mid], value) < 0)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    private static int ParseMaxKeys(string? value)
    {
        if (value is null)
        {
            return MaxKeys;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            throw S3Exception.InvalidArgument("Provided max-keys not an integer or within integer range", "max-keys", value);
        }

        return Math.Min(parsed, MaxKeys);
    }

    private static Func<string, string> ParseEncoding(string? encodingType) => encodingType switch
    {
        null or "" => static s => s,
        "url" => static s => Uri.EscapeDataString(s).Replace("%2F", "/", StringComparison.Ordinal),
        _ => throw S3Exception.InvalidArgument("Invalid Encoding Method specified in Request", "encoding-type", encodingType),
    };

    // Opaque to clients; base64 of the last entry keeps keys with any characters intact.
    private static string EncodeToken(string lastEntry) => Convert.ToBase64String(Encoding.UTF8.GetBytes(lastEntry));

    private static string DecodeToken(string token)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(token));
        }
        catch (FormatException)
        {
            throw S3Exception.InvalidArgument("The continuation token provided is incorrect", "continuation-token", token);
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
