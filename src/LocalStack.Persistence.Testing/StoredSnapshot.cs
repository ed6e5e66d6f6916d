using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Testing;

/// <summary>What one save left in the store: the uncompressed payload and the asset files of its generation (size and SHA-256).</summary>
internal sealed class StoredSnapshot
{
    private StoredSnapshot(SnapshotMetadata metadata, byte[] payload, SortedDictionary<string, string> assets)
    {
        Metadata = metadata;
        Payload = payload;
        Assets = assets;
    }

    public SnapshotMetadata Metadata { get; }

    public byte[] Payload { get; }

    /// <summary>Asset path relative to the generation folder ('/' separated) → "&lt;length&gt; bytes, sha256 &lt;hex&gt;".</summary>
    public SortedDictionary<string, string> Assets { get; }

    public static async Task<StoredSnapshot> ReadAsync(ISnapshotStore store, string serviceName, CancellationToken cancellationToken)
    {
        var reader = await store.OpenReadAsync(serviceName, cancellationToken).ConfigureAwait(false)
            ?? throw Expect.Failure($"the store holds no snapshot of service '{serviceName}' after a save.");
        byte[] payload;
        SnapshotMetadata metadata;
        await using (reader.ConfigureAwait(false))
        {
            metadata = reader.Metadata;
            using var buffer = new MemoryStream();
            await reader.Payload.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            payload = buffer.ToArray();
        }

        var assets = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (store.GetAssetGenerationDirectory(serviceName, metadata.Generation) is { } folder)
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/');
                var stream = File.OpenRead(file);
                await using (stream.ConfigureAwait(false))
                {
                    var hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
                    assets[relative] = string.Create(CultureInfo.InvariantCulture, $"{stream.Length} bytes, sha256 {Convert.ToHexStringLower(hash)[..16]}");
                }
            }
        }

        return new StoredSnapshot(metadata, payload, assets);
    }

    /// <summary>The first difference between two snapshots (payload, then assets), or <see langword="null"/> when they are equal.</summary>
    public static string? FirstDifference(StoredSnapshot expected, StoredSnapshot actual)
    {
        if (PayloadDifference(expected.Payload, actual.Payload) is { } payload)
        {
            return "payload: " + payload;
        }

        foreach (var name in expected.Assets.Keys.Union(actual.Assets.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var e = expected.Assets.GetValueOrDefault(name);
            var a = actual.Assets.GetValueOrDefault(name);
            if (e != a)
            {
                return $"asset '{name}': expected {e ?? "no such file"}, found {a ?? "no such file"}";
            }
        }

        return null;
    }

    /// <summary>
    /// The first difference between two payloads: when both parse as JSON, the JSON path where they differ (member order
    /// ignored); otherwise the first differing byte.
    /// </summary>
    public static string? PayloadDifference(byte[] expected, byte[] actual)
    {
        if (TryParse(expected) is { } e && TryParse(actual) is { } a)
        {
            using (e)
            using (a)
            {
                return JsonDifference(e.RootElement, a.RootElement, "$");
            }
        }

        try
        {
            Expect.SameBytes(expected, actual, "bytes");
            return null;
        }
        catch (PersistenceCheckException difference)
        {
            return difference.Message;
        }
    }

    public static JsonDocument? TryParse(byte[] payload)
    {
        try
        {
            return JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? JsonDifference(JsonElement expected, JsonElement actual, string path)
    {
        if (expected.ValueKind != actual.ValueKind)
        {
            return $"at {path} expected {Describe(expected)}, found {Describe(actual)}";
        }

        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                var actualMembers = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                foreach (var member in actual.EnumerateObject())
                {
                    actualMembers[member.Name] = member.Value;
                }

                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var member in expected.EnumerateObject())
                {
                    seen.Add(member.Name);
                    var childPath = $"{path}.{member.Name}";
                    if (!actualMembers.TryGetValue(member.Name, out var value))
                    {
                        return $"at {childPath} expected {Describe(member.Value)}, found no such member";
                    }

                    if (JsonDifference(member.Value, value, childPath) is { } inner)
                    {
                        return inner;
                    }
                }

                return actualMembers.Keys.FirstOrDefault(k => !seen.Contains(k)) is { } extra
                    ? $"at {path}.{extra} expected no such member, found {Describe(actualMembers[extra])}"
                    : null;
            case JsonValueKind.Array:
                var expectedLength = expected.GetArrayLength();
                var actualLength = actual.GetArrayLength();
                for (var i = 0; i < Math.Min(expectedLength, actualLength); i++)
                {
                    if (JsonDifference(expected[i], actual[i], $"{path}[{i}]") is { } inner)
                    {
                        return inner;
                    }
                }

                return expectedLength == actualLength ? null : $"at {path} expected {expectedLength} items, found {actualLength}";
            default:
                return expected.GetRawText() == actual.GetRawText() ? null : $"at {path} expected {Describe(expected)}, found {Describe(actual)}";
        }
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => $"an array of {element.GetArrayLength()}",
        _ => element.GetRawText() is var raw && raw.Length > 80 ? raw[..60] + $"… ({raw.Length} chars)" : element.GetRawText(),
    };
}
