using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using LocalStack.Persistence.Storage.Format;

namespace LocalStack.Persistence.Testing;

/// <summary>
/// The hostile-payload check for keyed providers: a keyed base is shown to the mutator as one JSON object
/// (<c>{"&lt;key&gt;": &lt;value&gt;, ...}</c>) and the mutated object is encoded back into records with a valid checksum, so the
/// provider's <c>ApplyValue</c> and <c>OnRestoredAsync</c> meet the same hostile values a JSON provider meets.
/// </summary>
internal static class KeyedPayloads
{
    public static bool IsKeyedBase(ReadOnlySpan<byte> payload) => payload.StartsWith(KeyedRecords.BaseMagic);

    /// <summary>The records of a keyed base as one JSON object, key → value (blob references are not shown; blobs are copied as they are).</summary>
    public static JsonObject ToJson(byte[] payload, string location, Dictionary<string, byte[][]> blobs)
    {
        var result = new JsonObject();
        using var stream = new MemoryStream(payload, writable: false);
        using var records = new KeyedRecordReader(stream, location);
        records.TryReadBaseMagic();
        while (records.Read())
        {
            if (records.Kind == KeyedRecords.Value)
            {
                result[records.Key] = JsonNode.Parse(records.ValueSpan);
                blobs[records.Key] = [.. records.BlobIds];
            }
        }

        return result;
    }

    /// <summary>
    /// Encodes a mutated object back into a keyed base (each member one record, whatever its key); a mutation that
    /// replaced the object by something else is stored as that JSON, which the provider then takes for a snapshot
    /// written before it was keyed.
    /// </summary>
    /// <remarks>
    /// Each record keeps the blob references its key had, and references of keys the mutation removed or renamed go on
    /// the first record: the blob collection after a load must not remove blobs a served payload still names.
    /// </remarks>
    public static HostilePayload ToPayload(HostilePayload mutated, Dictionary<string, byte[][]> blobs)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(mutated.Payload.Span);
        }
        catch (System.Text.Json.JsonException)
        {
            return mutated; // not JSON at all: fed as it is
        }

        if (root is not JsonObject members)
        {
            return mutated;
        }

        var buffer = new ArrayBufferWriter<byte>();
        var writer = new KeyedRecordWriter(buffer);
        writer.WriteBaseStart();
        var orphans = blobs.Where(b => !members.ContainsKey(b.Key)).SelectMany(b => b.Value).ToList();
        foreach (var (key, value) in members)
        {
            var refs = blobs.TryGetValue(key, out var own) ? own.ToList() : [];
            refs.AddRange(orphans);
            orphans.Clear();
            writer.WriteValue(key, refs, Encoding.UTF8.GetBytes(value?.ToJsonString() ?? "null"));
        }

        writer.WriteEnd();
        return new HostilePayload(buffer.WrittenMemory, mutated.Description + " (as keyed records)");
    }
}
