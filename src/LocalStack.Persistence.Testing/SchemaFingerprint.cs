using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace LocalStack.Persistence.Testing;

/// <summary>
/// The shape of a persisted state, as sorted lines (<c>$.Accounts[].Name: String</c>) and their SHA-256: what
/// <see cref="ProviderGoldenSets"/> compares to tell that a payload's schema changed.
/// </summary>
public sealed class SchemaFingerprint
{
    private SchemaFingerprint(string source, IEnumerable<string> shape)
    {
        Source = source;
        Shape = [.. shape.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        Hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", Shape))));
    }

    /// <summary>Where the shape was read: <c>type</c> (serialization metadata) or <c>payload</c> (a payload's JSON).</summary>
    public string Source { get; }

    /// <summary>One line per member path and kind, sorted.</summary>
    public IReadOnlyList<string> Shape { get; }

    /// <summary>The SHA-256 of <see cref="Shape"/>, lower-case hex.</summary>
    public string Hash { get; }

    /// <summary>
    /// The shape of the state type itself, from its serialization metadata (source-generated or not): every property's
    /// JSON name and kind, recursively, collection items as <c>[]</c> and dictionary values as <c>{}</c>. It does not
    /// depend on the data; a type serialized by a custom converter counts as one opaque value.
    /// </summary>
    /// <param name="typeInfo">The metadata of the persisted type, for example a <c>JsonSerializerContext</c>'s.</param>
    /// <returns>The fingerprint.</returns>
    public static SchemaFingerprint FromType(JsonTypeInfo typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        var lines = new List<string>();
        Describe(typeInfo, "$", [], lines);
        return new SchemaFingerprint("type", lines);
    }

    /// <summary>
    /// The shape of one payload: every member path with its JSON kind, array items merged as <c>[]</c>. Object member
    /// names count, also where they are data (dictionary keys such as account ids), so compare payloads of the same
    /// state; prefer <see cref="FromType"/> when the state has a <see cref="JsonTypeInfo"/>.
    /// </summary>
    /// <param name="payload">A UTF-8 JSON payload.</param>
    /// <returns>The fingerprint.</returns>
    /// <exception cref="JsonException">The payload is not JSON.</exception>
    public static SchemaFingerprint FromPayload(ReadOnlyMemory<byte> payload)
    {
        using var document = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 256 });
        var lines = new List<string>();
        Describe(document.RootElement, "$", lines);
        return new SchemaFingerprint("payload", lines);
    }

    /// <summary>Reads a fingerprint written by <see cref="ToJson"/>.</summary>
    internal static SchemaFingerprint FromJson(JsonElement element)
        => new(element.GetProperty("source").GetString() ?? "", element.GetProperty("shape").EnumerateArray().Select(l => l.GetString() ?? ""));

    /// <summary>Writes the members <c>source</c>, <c>hash</c> and <c>shape</c>.</summary>
    internal void ToJson(Utf8JsonWriter writer)
    {
        writer.WriteString("source", Source);
        writer.WriteString("hash", Hash);
        writer.WriteStartArray("shape");
        foreach (var line in Shape)
        {
            writer.WriteStringValue(line);
        }

        writer.WriteEndArray();
    }

    /// <summary>The lines of <paramref name="other"/> that this one lacks (<c>+</c>) and has besides (<c>-</c>), at most 20.</summary>
    internal string DescribeChangeTo(SchemaFingerprint other)
    {
        var added = other.Shape.Except(Shape, StringComparer.Ordinal).Select(l => "+ " + l);
        var removed = Shape.Except(other.Shape, StringComparer.Ordinal).Select(l => "- " + l);
        var changes = added.Concat(removed).ToList();
        return string.Join("\n", changes.Take(20)) + (changes.Count > 20 ? $"\n… and {changes.Count - 20} more" : "");
    }

    private static void Describe(JsonTypeInfo info, string path, HashSet<Type> visiting, List<string> lines)
    {
        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        lines.Add($"{path}: {(info.Kind == JsonTypeInfoKind.None ? ValueName(type) : info.Kind.ToString())}");
        if (!visiting.Add(info.Type))
        {
            return; // a recursive type: its shape is already being described above
        }

        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object:
                foreach (var property in info.Properties)
                {
                    Describe(info.Options.GetTypeInfo(property.PropertyType), $"{path}.{property.Name}", visiting, lines);
                }

                break;
            case JsonTypeInfoKind.Enumerable when info.ElementType is { } element:
                Describe(info.Options.GetTypeInfo(element), path + "[]", visiting, lines);
                break;
            case JsonTypeInfoKind.Dictionary when info.ElementType is { } value:
                lines.Add($"{path}{{}} key: {ValueName(info.KeyType ?? typeof(string))}");
                Describe(info.Options.GetTypeInfo(value), path + "{}", visiting, lines);
                break;
        }

        visiting.Remove(info.Type);
    }

    private static string ValueName(Type type) => type.IsEnum ? "Enum " + type.Name : type.Name;

    private static void Describe(JsonElement element, string path, List<string> lines)
    {
        lines.Add($"{path}: {element.ValueKind}");
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var member in element.EnumerateObject())
                {
                    Describe(member.Value, $"{path}.{member.Name}", lines);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Describe(item, path + "[]", lines);
                }

                break;
        }
    }
}
