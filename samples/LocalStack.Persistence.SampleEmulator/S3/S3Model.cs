using System.Text.Json.Serialization;

namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>What a client sets on an object besides its bytes (kept from CreateMultipartUpload until completion).</summary>
/// <param name="ContentType">Content-Type, or <see langword="null"/> (answered as binary/octet-stream).</param>
/// <param name="Metadata">User metadata: <c>x-amz-meta-&lt;name&gt;</c> without the prefix, names lower-case.</param>
/// <param name="Headers">Stored representation headers (Content-Encoding, Content-Disposition, Cache-Control, Content-Language, Expires), names lower-case.</param>
/// <param name="ChecksumAlgorithm">The flexible checksum algorithm of the object (CRC32, ...), or <see langword="null"/>.</param>
/// <param name="ChecksumType">For a multipart upload, <c>FULL_OBJECT</c> or <c>COMPOSITE</c> (the default).</param>
internal sealed record ObjectAttributes(
    string? ContentType,
    Dictionary<string, string> Metadata,
    Dictionary<string, string> Headers,
    string? ChecksumAlgorithm,
    string? ChecksumType = null);

/// <summary>One stored object; immutable, replaced as a whole. Its bytes are the file <see cref="File"/> of the data folder.</summary>
/// <param name="ETag">The quoted ETag.</param>
/// <param name="ChecksumValue">Base64 checksum of <see cref="ObjectAttributes.ChecksumAlgorithm"/>; a composite one ends with <c>-&lt;parts&gt;</c>.</param>
/// <param name="PartsCount">The number of parts of a multipart object, otherwise <see langword="null"/>.</param>
internal sealed record S3Object(
    string Key,
    string File,
    long Size,
    string ETag,
    DateTimeOffset LastModified,
    ObjectAttributes Attributes,
    string? ChecksumValue,
    int? PartsCount);

/// <summary>One uploaded part of a multipart upload; its bytes are the immutable file <see cref="File"/>.</summary>
/// <param name="Md5">The hex MD5 of the part (its ETag without quotes).</param>
internal sealed record S3Part(int PartNumber, string File, long Size, string Md5, DateTimeOffset LastModified, string? ChecksumAlgorithm, string? ChecksumValue);

/// <summary>An in-progress multipart upload. Mutated only under the store's lock.</summary>
internal sealed class MultipartUpload(string uploadId, string key, DateTimeOffset initiated, ObjectAttributes attributes)
{
    public string UploadId { get; } = uploadId;

    public string Key { get; } = key;

    public DateTimeOffset Initiated { get; } = initiated;

    public ObjectAttributes Attributes { get; } = attributes;

    public SortedDictionary<int, S3Part> Parts { get; } = [];

    /// <summary>Set while CompleteMultipartUpload assembles the object, so that a second completion or an abort is refused.</summary>
    public bool Completing { get; set; }
}

/// <summary>A bucket. Mutated only under the store's lock.</summary>
internal sealed class S3Bucket(string name, string region, DateTimeOffset creationDate)
{
    public string Name { get; } = name;

    public string Region { get; } = region;

    public DateTimeOffset CreationDate { get; } = creationDate;

    /// <summary>Objects in ordinal key order, as S3 lists them.</summary>
    public SortedList<string, S3Object> Objects { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, MultipartUpload> Uploads { get; } = new(StringComparer.Ordinal);
}

// The persisted shape: plain lists, so that the live collections' comparers never depend on deserialization.
internal sealed record S3StateDocument(List<S3AccountDocument> Accounts);

internal sealed record S3AccountDocument(string AccountId, List<S3BucketDocument> Buckets);

internal sealed record S3BucketDocument(string Name, string Region, DateTimeOffset CreationDate, List<S3Object> Objects, List<S3UploadDocument> Uploads);

internal sealed record S3UploadDocument(string UploadId, string Key, DateTimeOffset Initiated, ObjectAttributes Attributes, List<S3Part> Parts);

// The keyed records (S3StateProvider): a bucket's own fields, and each object or part with the blob holding its bytes.
internal sealed record S3BucketRecord(string Region, DateTimeOffset CreationDate);

internal sealed record S3ObjectRecord(S3Object Object, string Blob);

internal sealed record S3UploadRecord(string Key, DateTimeOffset Initiated, ObjectAttributes Attributes);

internal sealed record S3PartRecord(S3Part Part, string Blob);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(S3StateDocument))]
[JsonSerializable(typeof(S3BucketRecord))]
[JsonSerializable(typeof(S3ObjectRecord))]
[JsonSerializable(typeof(S3UploadRecord))]
[JsonSerializable(typeof(S3PartRecord))]
internal sealed partial class S3JsonContext : JsonSerializerContext;
