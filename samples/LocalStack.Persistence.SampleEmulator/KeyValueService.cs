using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.SampleEmulator;

/// <summary>
/// A tiny key-value service ("kv"): the smallest emulator that shows the persistence round trip. Requests run
/// concurrently under the service's shared gate, so the live state is a concurrent dictionary; captures run under the
/// exclusive gate and see a consistent state.
/// </summary>
internal sealed class KeyValueService() : JsonServiceStateProvider<KeyValueModel>(Name, SampleJsonContext.Default.KeyValueModel)
{
    public const string Name = "kv";

    private readonly ConcurrentDictionary<string, string> _items = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Items => _items;

    public void Put(string key, string value) => _items[key] = value;

    public bool Delete(string key) => _items.TryRemove(key, out _);

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
