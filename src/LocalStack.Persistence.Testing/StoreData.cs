using System.Text;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Testing;

/// <summary>Payloads and round trips through an <see cref="ISnapshotStore"/>, shared by the checks.</summary>
internal static class StoreData
{
    /// <summary>A JSON payload of about <paramref name="size"/> bytes whose content depends on <paramref name="label"/>.</summary>
    public static byte[] Json(string label, int size = 256)
    {
        var random = new Random(label.GetHashCode(StringComparison.Ordinal) ^ size);
        var filler = new char[Math.Max(0, size)];
        for (var k = 0; k < filler.Length; k++)
        {
            filler[k] = (char)('a' + random.Next(26));
        }

        return Encoding.UTF8.GetBytes($"{{\"label\":\"{label}\",\"filler\":\"{new string(filler)}\"}}");
    }

    public static ValueTask<SnapshotMetadata> WriteAsync(this ISnapshotStore store, string serviceName, long generation, ReadOnlyMemory<byte> payload, int schemaVersion = 1, CancellationToken cancellationToken = default)
        => store.WriteAsync(new SnapshotWriteRequest(serviceName, schemaVersion, generation), (destination, ct) => destination.WriteAsync(payload, ct), cancellationToken);

    /// <summary>The payload of the stored snapshot, or null when there is none.</summary>
    public static async Task<byte[]?> ReadPayloadAsync(this ISnapshotStore store, string serviceName, CancellationToken cancellationToken = default)
    {
        var reader = await store.OpenReadAsync(serviceName, cancellationToken).ConfigureAwait(false);
        if (reader is null)
        {
            return null;
        }

        await using (reader.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            await reader.Payload.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return buffer.ToArray();
        }
    }

    public static async Task<List<SnapshotMetadata>> ListAllAsync(this ISnapshotStore store, CancellationToken cancellationToken = default)
    {
        var list = new List<SnapshotMetadata>();
        await foreach (var metadata in store.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(metadata);
        }

        return list;
    }

    /// <summary>A fresh folder under the system temp folder.</summary>
    public static string NewTempFolder() => Directory.CreateTempSubdirectory("lsp-check-").FullName;

    /// <summary>Best-effort removal of a temp folder (a folder left behind in the temp folder is harmless).</summary>
    public static void DeleteFolder(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    public static async ValueTask DisposeAsync(object? resource)
    {
        switch (resource)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }
}
