using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace LocalStack.Persistence.Benchmarks.Workload;

/// <summary>One S3-like object record (about 500 bytes of JSON with its metadata and tags).</summary>
public sealed record S3ObjectRecord(
    string Bucket,
    string Key,
    string ETag,
    long Size,
    DateTimeOffset LastModified,
    string ContentType,
    string StorageClass,
    string VersionId,
    string OwnerId,
    Dictionary<string, string> Metadata,
    Dictionary<string, string> Tags);

/// <summary>A plain mutable service state: what most emulators keep.</summary>
public sealed class S3State
{
    /// <summary>The objects.</summary>
    public List<S3ObjectRecord> Objects { get; init; } = [];
}

/// <summary>A persistent (immutable) service state: a capture is a reference copy, O(1).</summary>
public sealed record ImmutableS3State(ImmutableDictionary<string, S3ObjectRecord> Objects);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(S3State))]
[JsonSerializable(typeof(ImmutableS3State))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
