using System.Globalization;
using System.Text.Json;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>Typed reads of an SQS JSON request body (or of one batch entry in it).</summary>
internal readonly struct SqsJsonRequest(JsonElement element)
{
    public JsonElement Element => element;

    public string? String(string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public string RequiredString(string name) => String(name) is { Length: > 0 } value ? value : throw SqsException.MissingParameter(name);

    /// <summary>An integer parameter; the SDKs send numbers, hand-written clients sometimes strings.</summary>
    public int? Int(string name)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number))
        {
            return number;
        }

        if (value.ValueKind == JsonValueKind.String && int.TryParse(value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number))
        {
            return number;
        }

        return value.ValueKind == JsonValueKind.Null ? null : throw SqsException.InvalidParameterValue($"Value {value.GetRawText()} for parameter {name} is invalid.");
    }

    public List<string> StringList(string name)
    {
        var list = new List<string>();
        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in value.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String)
                {
                    list.Add(item.GetString()!);
                }
            }
        }

        return list;
    }

    public Dictionary<string, string> StringMap(string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in value.EnumerateObject())
            {
                map[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            }
        }

        return map;
    }

    public IEnumerable<SqsJsonRequest> Entries(string name)
    {
        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in value.EnumerateArray())
            {
                yield return new SqsJsonRequest(item);
            }
        }
    }

    /// <summary><c>MessageAttributes</c>: name → {DataType, StringValue | BinaryValue (base64)}.</summary>
    public Dictionary<string, SqsMessageAttribute>? MessageAttributes(string name)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var attributes = new Dictionary<string, SqsMessageAttribute>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            var entry = new SqsJsonRequest(property.Value);
            var binary = entry.String("BinaryValue");
            byte[]? bytes = null;
            if (binary is not null)
            {
                try
                {
                    bytes = Convert.FromBase64String(binary);
                }
                catch (FormatException)
                {
                    throw SqsException.InvalidParameterValue($"The message attribute '{property.Name}' has an invalid binary value.");
                }
            }

            attributes[property.Name] = new SqsMessageAttribute
            {
                DataType = entry.String("DataType") ?? "",
                StringValue = entry.String("StringValue"),
                BinaryValue = bytes,
            };
        }

        return attributes.Count == 0 ? null : attributes;
    }
}
