using System.Text.Json;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.Testing.Tests.Support;

/// <summary>One deliberate defect of <see cref="ItemsProvider"/>.</summary>
public enum ProviderFlaw
{
    /// <summary>No defect.</summary>
    None,

    /// <summary>Restore drops a field: every count comes back as 0.</summary>
    RestoreDropsCount,

    /// <summary>Restore forgets to bring an item's file back.</summary>
    RestoreDropsFile,

    /// <summary>Reset keeps the first item.</summary>
    ResetLeavesItem,

    /// <summary>Reset keeps the item files and restore reuses them instead of copying the snapshot's: fine until a restart.</summary>
    RestoreReusesLiveFiles,

    /// <summary>A payload it cannot use is refused with <see cref="InvalidOperationException"/> instead of a snapshot error.</summary>
    ThrowsInvalidOperationOnGarbage,

    /// <summary>A count that is not a number of 0 or more is accepted (as -1), and the next save then throws.</summary>
    AcceptsAnyCount,
}

/// <summary>
/// A small provider for the kit's own tests: named items with a count, each with a file in a working folder of its own
/// (staged as the asset <c>blobs/&lt;name&gt;.bin</c>). Payload: <c>{"items":[{"name":"a","count":3}]}</c>.
/// </summary>
public sealed class ItemsProvider(ProviderFlaw flaw = ProviderFlaw.None, string countMember = "count", int schemaVersion = 1) : IServiceStateProvider, IDisposable
{
    public const string Service = "items";

    private readonly SortedDictionary<string, int> _items = new(StringComparer.Ordinal);
    private readonly string _files = Directory.CreateTempSubdirectory("lsp-items-").FullName;

    public string ServiceName => Service;

    public int SchemaVersion => schemaVersion;

    /// <summary>An item with a count and a file holding <paramref name="content"/>.</summary>
    public ItemsProvider Put(string name, int count, string content)
    {
        _items[name] = count;
        File.WriteAllText(FileOf(name), content);
        return this;
    }

    public async ValueTask<IStateCapture> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken = default)
    {
        foreach (var (name, count) in _items)
        {
            if (count < 0)
            {
                throw new InvalidOperationException($"item '{name}' has a negative count.");
            }

            await context.StageFileAsync(FileOf(name), $"blobs/{name}.bin", cancellationToken);
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("items");
            foreach (var (name, count) in _items)
            {
                writer.WriteStartObject();
                writer.WriteString("name", name);
                writer.WriteNumber(countMember, count);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return new Capture(buffer.ToArray());
    }

    public async ValueTask RestoreAsync(SnapshotPayload payload, SnapshotContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var location = payload.Metadata.Location;
        List<(string Name, int Count)> items;
        try
        {
            items = Parse(await ReadAllAsync(payload.Content, cancellationToken));
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw flaw == ProviderFlaw.ThrowsInvalidOperationOnGarbage
                ? new InvalidOperationException($"cannot use this payload: {e.Message}", e)
                : new SnapshotCorruptException(location, $"its payload is not a state of service '{Service}': {e.Message}", e);
        }

        var assets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, _) in items)
        {
            assets[name] = context.GetAssetPath($"blobs/{name}.bin")
                ?? throw new SnapshotCorruptException(context.AssetDirectory ?? location, $"item '{name}' has no file in asset generation {context.Generation}.");
        }

        Clear(keepFirst: false, keepFiles: flaw == ProviderFlaw.RestoreReusesLiveFiles);
        foreach (var (name, count) in items)
        {
            _items[name] = flaw == ProviderFlaw.RestoreDropsCount ? 0 : count;
            if (flaw is not (ProviderFlaw.RestoreDropsFile or ProviderFlaw.RestoreReusesLiveFiles))
            {
                File.Copy(assets[name], FileOf(name));
            }
        }
    }

    public ValueTask ResetAsync(SnapshotContext context, CancellationToken cancellationToken = default)
    {
        Clear(keepFirst: flaw == ProviderFlaw.ResetLeavesItem, keepFiles: flaw == ProviderFlaw.RestoreReusesLiveFiles);
        return ValueTask.CompletedTask;
    }

    /// <summary>Removes the working folder; the kit disposes the providers its factories make, so a second call is harmless.</summary>
    public void Dispose()
    {
        if (Directory.Exists(_files))
        {
            Directory.Delete(_files, recursive: true);
        }
    }

    private List<(string Name, int Count)> Parse(byte[] payload)
    {
        using var document = JsonDocument.Parse(payload);
        if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("items", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("expected an object with an 'items' array");
        }

        var items = new List<(string, int)>();
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object
                || !item.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || name.GetString() is not { } text || !IsValidName(text)
                || !item.TryGetProperty(countMember, out var count) || ((count.ValueKind != JsonValueKind.Number || !count.TryGetInt32(out var value) || value < 0) && !AcceptAnyCount(out value)))
            {
                throw new FormatException($"item {item.GetRawText()[..Math.Min(80, item.GetRawText().Length)]} is not a name and a count");
            }

            if (items.Any(i => i.Item1 == text))
            {
                throw new FormatException($"item '{text}' appears twice");
            }

            items.Add((text, value));
        }

        return items;
    }

    private bool AcceptAnyCount(out int value)
    {
        value = -1;
        return flaw == ProviderFlaw.AcceptsAnyCount;
    }

    private static bool IsValidName(string name) => name.Length is > 0 and <= 32 && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    private void Clear(bool keepFirst, bool keepFiles)
    {
        foreach (var name in _items.Keys.Skip(keepFirst ? 1 : 0).ToList())
        {
            _items.Remove(name);
            if (!keepFiles)
            {
                File.Delete(FileOf(name));
            }
        }
    }

    private string FileOf(string name) => Path.Combine(_files, name + ".bin");

    private static async Task<byte[]> ReadAllAsync(Stream content, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    private sealed class Capture(byte[] payload) : IStateCapture
    {
        public ValueTask WriteToAsync(Stream destination, CancellationToken cancellationToken = default) => destination.WriteAsync(payload, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
