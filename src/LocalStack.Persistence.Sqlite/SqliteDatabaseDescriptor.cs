using System.Text.Json;

namespace LocalStack.Persistence.Sqlite;

/// <summary>
/// A saved SQLite database as a chain of blobs: a whole database (the base) and the WAL segments shipped after it, in
/// order. Restoring applies the segments' pages to the base. JSON: <c>{"base":"&lt;id&gt;","segments":["&lt;id&gt;",...]}</c>.
/// </summary>
public sealed class SqliteDatabaseDescriptor
{
    /// <summary>Creates a descriptor.</summary>
    /// <param name="baseBlobId">The blob of the whole database.</param>
    /// <param name="segmentBlobIds">The blobs of the WAL segments shipped after it, in order.</param>
    public SqliteDatabaseDescriptor(string baseBlobId, IReadOnlyList<string> segmentBlobIds)
    {
        ArgumentException.ThrowIfNullOrEmpty(baseBlobId);
        ArgumentNullException.ThrowIfNull(segmentBlobIds);
        BaseBlobId = baseBlobId;
        SegmentBlobIds = segmentBlobIds;
    }

    /// <summary>The blob of the whole database the chain starts from.</summary>
    public string BaseBlobId { get; }

    /// <summary>The blobs of the WAL segments, in the order they are applied.</summary>
    public IReadOnlyList<string> SegmentBlobIds { get; }

    /// <summary>Every blob of the chain (base first): what a record holding this descriptor keeps alive.</summary>
    public IEnumerable<string> BlobIds => SegmentBlobIds.Prepend(BaseBlobId);

    /// <summary>Writes the descriptor as one JSON object.</summary>
    /// <param name="writer">Where to write it.</param>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("base"u8, BaseBlobId);
        writer.WriteStartArray("segments"u8);
        foreach (var id in SegmentBlobIds)
        {
            writer.WriteStringValue(id);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Reads a descriptor <see cref="WriteTo"/> wrote.</summary>
    /// <param name="utf8Json">One JSON object.</param>
    /// <returns>The descriptor.</returns>
    /// <exception cref="JsonException">The JSON is not a descriptor (blob ids are checked on restore).</exception>
    public static SqliteDatabaseDescriptor Parse(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json);
        string? baseId = null;
        List<string>? segments = null;
        Expect(ref reader, JsonTokenType.StartObject);
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                throw new JsonException("A SQLite database descriptor holds properties only.");
            }

            if (reader.ValueTextEquals("base"u8) && baseId is null)
            {
                Expect(ref reader, JsonTokenType.String);
                baseId = reader.GetString();
            }
            else if (reader.ValueTextEquals("segments"u8) && segments is null)
            {
                segments = [];
                Expect(ref reader, JsonTokenType.StartArray);
                while (Next(ref reader) == JsonTokenType.String)
                {
                    segments.Add(reader.GetString()!);
                }

                if (reader.TokenType != JsonTokenType.EndArray)
                {
                    throw new JsonException("The segments of a SQLite database descriptor are blob ids (strings).");
                }
            }
            else
            {
                throw new JsonException($"A SQLite database descriptor has no property '{reader.GetString()}' (or has it twice).");
            }
        }

        if (Next(ref reader, allowEnd: true) != JsonTokenType.None || string.IsNullOrEmpty(baseId) || segments is null)
        {
            throw new JsonException("A SQLite database descriptor is one object with 'base' and 'segments'.");
        }

        return new SqliteDatabaseDescriptor(baseId, segments);
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (Next(ref reader) != type)
        {
            throw new JsonException($"A SQLite database descriptor has {reader.TokenType} where {type} belongs.");
        }
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader, bool allowEnd = false)
    {
        if (!reader.Read())
        {
            return allowEnd ? JsonTokenType.None : throw new JsonException("A SQLite database descriptor ends early.");
        }

        return reader.TokenType;
    }
}
