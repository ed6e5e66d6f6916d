using System.Text;
using System.Text.Json;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.Tests.State;

/// <summary>A keyed provider over a dictionary of strings, with a legacy JSON form ({"key":"value",...}) for v1 snapshots.</summary>
internal sealed class KeyedDictionaryProvider(string serviceName = "kv") : KeyedStateProvider(serviceName)
{
    public Dictionary<string, string> Items { get; } = new(StringComparer.Ordinal);

    public int ValuesWritten { get; private set; }

    public int RestoredCount { get; private set; }

    public void Set(string key, string value)
    {
        Items[key] = value;
        MarkChanged(key);
    }

    public void Remove(string key)
    {
        Items.Remove(key);
        MarkChanged(key);
    }

    protected override IEnumerable<string> GetKeys() => Items.Keys;

    protected override bool TryWriteValue(string key, KeyedValueWriter writer)
    {
        if (!Items.TryGetValue(key, out var value))
        {
            return false;
        }

        writer.Json.WriteStringValue(value);
        ValuesWritten++;
        return true;
    }

    protected override void Clear() => Items.Clear();

    protected override void ApplyValue(string key, ReadOnlySpan<byte> utf8Json, SnapshotContext context)
        => Items[key] = JsonSerializer.Deserialize<string>(utf8Json)!;

    protected override void ApplyRemoval(string key, SnapshotContext context) => Items.Remove(key);

    protected override ValueTask OnRestoredAsync(SnapshotContext context, CancellationToken cancellationToken)
    {
        RestoredCount++;
        return ValueTask.CompletedTask;
    }

    protected override async ValueTask RestoreWholeStateAsync(SnapshotPayload payload, SnapshotContext context, CancellationToken cancellationToken)
    {
        var legacy = await JsonSerializer.DeserializeAsync<Dictionary<string, string>>(payload.Content, cancellationToken: cancellationToken) ?? [];
        Items.Clear();
        foreach (var (key, value) in legacy)
        {
            Items[key] = value;
        }
    }

    /// <summary>The legacy (v1, whole-state JSON) payload of some items.</summary>
    public static byte[] LegacyPayload(Dictionary<string, string> items) => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(items));
}
