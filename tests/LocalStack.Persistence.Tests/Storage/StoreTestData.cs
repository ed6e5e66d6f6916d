using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Testing;

namespace LocalStack.Persistence.Tests.Storage;

/// <summary>Payloads and round trips shared by the store tests.</summary>
internal static class StoreTestData
{
    // The payloads and round trips are the conformance kit's own (LocalStack.Persistence.Testing), so both test the same bytes.

    /// <summary>A JSON payload of about <paramref name="size"/> bytes whose content depends on <paramref name="label"/>.</summary>
    public static byte[] Json(string label, int size = 256) => StoreData.Json(label, size);

    public static SnapshotPayloadWriter Writer(byte[] payload) => (destination, ct) => destination.WriteAsync(payload, ct);

    public static ValueTask<SnapshotMetadata> WriteAsync(this ISnapshotStore store, string serviceName, long generation, byte[] payload, int schemaVersion = 1, CancellationToken cancellationToken = default)
        => StoreData.WriteAsync(store, serviceName, generation, payload, schemaVersion, cancellationToken);

    /// <summary>The payload of the stored snapshot, or null when there is none.</summary>
    public static Task<byte[]?> ReadPayloadAsync(this ISnapshotStore store, string serviceName) => StoreData.ReadPayloadAsync(store, serviceName);

    public static Task<List<SnapshotMetadata>> ListAllAsync(this ISnapshotStore store) => StoreData.ListAllAsync(store);

    /// <summary>Compares two metadata records; the creation time only to the millisecond a format may round it to.</summary>
    public static void AssertSameSnapshot(SnapshotMetadata? actual, SnapshotMetadata expected)
    {
        Assert.That(actual, Is.Not.Null);
        Assert.That(actual! with { CreatedAt = expected.CreatedAt }, Is.EqualTo(expected));
        Assert.That(actual.CreatedAt, Is.EqualTo(expected.CreatedAt).Within(TimeSpan.FromMilliseconds(1)));
    }

    /// <summary>Every entry below <paramref name="root"/> (links not followed) with its size and a hash of its content.</summary>
    public static IReadOnlyList<string> Tree(string root)
    {
        var entries = new List<string>();
        Walk(new DirectoryInfo(root));
        entries.Sort(StringComparer.Ordinal);
        return entries;

        void Walk(DirectoryInfo folder)
        {
            foreach (var entry in folder.EnumerateFileSystemInfos())
            {
                var relative = Path.GetRelativePath(root, entry.FullName);
                if (entry.LinkTarget is { } target)
                {
                    entries.Add($"{relative} -> {target}");
                }
                else if (entry is DirectoryInfo child)
                {
                    entries.Add(relative + "/");
                    Walk(child);
                }
                else if (entry.Name == ".lock")
                {
                    // The holder's flock forbids .NET reads; its size is enough.
                    entries.Add($"{relative} {((FileInfo)entry).Length}");
                }
                else
                {
                    var bytes = File.ReadAllBytes(entry.FullName);
                    entries.Add($"{relative} {bytes.Length} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes))[..16]}");
                }
            }
        }
    }
}
