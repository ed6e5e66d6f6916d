using System.Text.Json.Serialization;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.SampleEmulator;

/// <summary>A tiny key-value service ("kv"): the smallest emulator that shows the persistence round trip.</summary>
internal sealed class KeyValueService() : JsonServiceStateProvider<KeyValueModel>("kv", SampleJsonContext.Default.KeyValueModel)
{
    private readonly Dictionary<string, string> _items = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Items => _items;

    public void Put(string key, string value) => _items[key] = value;

    public bool Delete(string key) => _items.Remove(key);

    protected override KeyValueModel Capture() => new(new SortedDictionary<string, string>(_items, StringComparer.Ordinal));

    protected override void Restore(KeyValueModel state)
    {
        _items.Clear();
        foreach (var (key, value) in state.Items)
        {
            _items[key] = value;
        }
    }

    protected override void Reset() => _items.Clear();
}

/// <summary>The persisted shape of the kv service.</summary>
internal sealed record KeyValueModel(SortedDictionary<string, string> Items);

[JsonSerializable(typeof(KeyValueModel))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class SampleJsonContext : JsonSerializerContext;
