using System.Collections.Immutable;

namespace LocalStack.Persistence.Benchmarks.Workload;

/// <summary>Deterministic S3-like records (fixed seed) so that every run serializes the same bytes.</summary>
public static class RecordFactory
{
    private static readonly string[] ContentTypes = ["image/jpeg", "application/json", "text/plain", "application/octet-stream", "video/mp4"];
    private static readonly string[] StorageClasses = ["STANDARD", "STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR"];

    /// <summary>Record number <paramref name="i"/> of a state; the same inputs give the same record.</summary>
    public static S3ObjectRecord Create(int i, Random random)
    {
        var bucket = $"bucket-{i % 37:D3}";
        return new S3ObjectRecord(
            bucket,
            $"data/{i % 97:D2}/{i % 1013:D4}/object-{i:D8}-{random.Next():x8}.bin",
            $"\"{random.NextInt64():x16}{random.NextInt64():x16}\"",
            random.NextInt64(1, 5L * 1024 * 1024 * 1024),
            new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(random.Next(0, 30_000_000)),
            ContentTypes[random.Next(ContentTypes.Length)],
            StorageClasses[random.Next(StorageClasses.Length)],
            $"{random.NextInt64():x16}{random.Next():x8}",
            "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a",
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["x-amz-meta-uploaded-by"] = $"user-{random.Next(1000):D4}",
                ["x-amz-meta-source"] = "benchmark-generator",
                ["x-amz-meta-checksum"] = $"{random.NextInt64():x16}",
            },
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["project"] = $"project-{i % 11}",
                ["environment"] = (i % 3) switch { 0 => "dev", 1 => "staging", _ => "prod" },
                ["owner"] = $"team-{i % 7}",
            });
    }

    /// <summary>A mutable state of <paramref name="count"/> records.</summary>
    public static S3State CreateState(int count)
    {
        var random = new Random(42);
        var objects = new List<S3ObjectRecord>(count);
        for (var i = 0; i < count; i++)
        {
            objects.Add(Create(i, random));
        }

        return new S3State { Objects = objects };
    }

    /// <summary>An immutable state of <paramref name="count"/> records, keyed by bucket/key.</summary>
    public static ImmutableS3State CreateImmutableState(int count)
    {
        var builder = ImmutableDictionary.CreateBuilder<string, S3ObjectRecord>(StringComparer.Ordinal);
        var random = new Random(42);
        for (var i = 0; i < count; i++)
        {
            var record = Create(i, random);
            builder[record.Bucket + "/" + record.Key] = record;
        }

        return new ImmutableS3State(builder.ToImmutable());
    }
}
