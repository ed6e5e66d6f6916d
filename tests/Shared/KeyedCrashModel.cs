using System.Globalization;
using System.Text.Json;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.Tests.Shared;

/// <summary>
/// The keyed kill harness's state: save i sets <c>counter</c> to i, writes a few records whose values are a function
/// of i, and removes one now and then. The state after save i is thus known from i alone (<see cref="Expected"/>), so
/// the parent can tell a complete, current load from a torn, partial or older one. Compiled into the crash child and
/// the test project.
/// </summary>
internal sealed class KeyedCrashModel(string serviceName = KeyedCrashModel.ServiceNameValue) : KeyedStateProvider(serviceName)
{
    public const string ServiceNameValue = "keyed";
    public const string CounterKey = "counter";
    private const int KeySpace = 2000;

    public SortedDictionary<string, string> Items { get; } = new(StringComparer.Ordinal);

    public long Counter => Items.TryGetValue(CounterKey, out var value) ? long.Parse(value, CultureInfo.InvariantCulture) : 0;

    /// <summary>Applies the changes of save <paramref name="i"/> and marks them.</summary>
    public void ApplySave(long i)
    {
        foreach (var (key, value) in Changes(i))
        {
            if (value is null)
            {
                Items.Remove(key);
            }
            else
            {
                Items[key] = value;
            }

            MarkChanged(key);
        }
    }

    /// <summary>The state after saves 1..i, computed without any file.</summary>
    public static SortedDictionary<string, string> Expected(long i)
    {
        var model = new KeyedCrashModel();
        for (var k = 1; k <= i; k++)
        {
            model.ApplySave(k);
        }

        return model.Items;
    }

    private static IEnumerable<(string Key, string? Value)> Changes(long i)
    {
        yield return (CounterKey, i.ToString(CultureInfo.InvariantCulture));
        var random = new Random(unchecked((int)(i * 7919)));

        // Early saves fill the key space (large values), later ones touch a few keys: bases grow, deltas stay small.
        var count = i <= 20 ? 100 : random.Next(1, 12);
        for (var n = 0; n < count; n++)
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"item/{random.Next(KeySpace):D4}");
            yield return random.Next(8) == 0 ? (key, null) : (key, string.Create(CultureInfo.InvariantCulture, $"{i}:{new string((char)('a' + (i % 26)), random.Next(16, 600))}"));
        }
    }

    protected override IEnumerable<string> GetKeys() => Items.Keys;

    protected override bool TryWriteValue(string key, KeyedValueWriter writer)
    {
        if (!Items.TryGetValue(key, out var value))
        {
            return false;
        }

        writer.Json.WriteStringValue(value);
        return true;
    }

    protected override void Clear() => Items.Clear();

    protected override void ApplyValue(string key, ReadOnlySpan<byte> utf8Json, SnapshotContext context)
        => Items[key] = JsonSerializer.Deserialize<string>(utf8Json) ?? throw new SnapshotCorruptException(context.SnapshotLocation ?? ServiceName, $"record '{key}' is null.");

    protected override void ApplyRemoval(string key, SnapshotContext context) => Items.Remove(key);
}
