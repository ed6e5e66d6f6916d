using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;
using LocalStack.Persistence.SampleEmulator.Aws;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>
/// SQS's older query protocol (form <c>Action=SendMessage&amp;QueueUrl=...&amp;MessageAttribute.1.Name=...</c>, XML
/// answers), used by older SDKs and CLIs. The form is translated into the JSON protocol's request shape and the JSON
/// answer into XML, so both protocols share one implementation.
/// </summary>
internal static class SqsQueryProtocol
{
    private const string Namespace = "http://queue.amazonaws.com/doc/2012-11-05/";

    /// <summary>Flattened list members and the JSON protocol's names for them.</summary>
    private static readonly Dictionary<string, string> Lists = new(StringComparer.Ordinal)
    {
        ["AttributeName"] = "AttributeNames",
        ["MessageAttributeName"] = "MessageAttributeNames",
        ["MessageSystemAttributeName"] = "MessageSystemAttributeNames",
        ["TagKey"] = "TagKeys",
    };

    public static bool IsQueryRequest(HttpRequest request) => request.HasFormContentType || request.Query.ContainsKey("Action");

    /// <summary>
    /// Reads the form (and query string) into the JSON request the handler understands. <c>Action</c> is left out: the
    /// operation is the one <see cref="LocalStack.Persistence.AspNetCore.Aws.AwsOperation"/> read for the whole request.
    /// </summary>
    public static async Task<JsonDocument> ReadAsync(AwsRequestContext context)
    {
        var root = new Node();
        foreach (var (key, value) in context.Request.Query)
        {
            root.Add(key, value.ToString());
        }

        if (context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync(context.Aborted);
            foreach (var (key, value) in form)
            {
                root.Add(key, value.ToString());
            }
        }

        // Query clients may address the queue by the request path instead of a QueueUrl parameter.
        if (!root.Children.ContainsKey("QueueUrl") && context.Request.Path.Value is { Length: > 1 } path)
        {
            root.Add("QueueUrl", $"{context.Request.Scheme}://{context.Request.Host}{path}");
        }

        var buffer = new MemoryStream();
        await using (var json = new Utf8JsonWriter(buffer))
        {
            WriteObject(json, root);
        }

        return JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    private static void WriteObject(Utf8JsonWriter json, Node node)
    {
        json.WriteStartObject();
        foreach (var (name, child) in node.Children)
        {
            if (name is "Action" or "Version")
            {
                continue;
            }

            if (Lists.TryGetValue(name, out var listName))
            {
                json.WriteStartArray(listName);
                foreach (var item in child.Items())
                {
                    json.WriteStringValue(item.Value);
                }

                json.WriteEndArray();
            }
            else if (name is "Attribute" or "Tag")
            {
                // Attribute.N.Name/Value and Tag.N.Key/Value are maps; CreateQueue's tags and TagQueue's Tags alike.
                json.WriteStartObject(name == "Attribute" ? "Attributes" : "Tags");
                foreach (var item in child.Items())
                {
                    var key = item.Text(name == "Attribute" ? "Name" : "Key");
                    if (key is not null)
                    {
                        json.WriteString(key, item.Text("Value") ?? "");
                    }
                }

                json.WriteEndObject();
            }
            else if (name is "MessageAttribute" or "MessageSystemAttribute")
            {
                json.WriteStartObject(name + "s");
                foreach (var item in child.Items())
                {
                    if (item.Text("Name") is { } key && item.Children.TryGetValue("Value", out var value))
                    {
                        json.WritePropertyName(key);
                        WriteObject(json, value);
                    }
                }

                json.WriteEndObject();
            }
            else if (name.EndsWith("RequestEntry", StringComparison.Ordinal))
            {
                json.WriteStartArray("Entries");
                foreach (var item in child.Items())
                {
                    WriteObject(json, item);
                }

                json.WriteEndArray();
            }
            else if (child.Value is not null)
            {
                // Numbers stay strings: the handler reads integers from either.
                json.WriteString(name, child.Value);
            }
        }

        json.WriteEndObject();
    }

    /// <summary>Writes the JSON answer of <paramref name="action"/> as the query protocol's XML.</summary>
    public static async Task WriteResponseAsync(HttpContext http, string action, ReadOnlyMemory<byte> jsonAnswer)
    {
        using var answer = JsonDocument.Parse(jsonAnswer);
        var xml = Xml(writer =>
        {
            writer.WriteStartElement(action + "Response", Namespace);
            if (answer.RootElement.EnumerateObject().Any())
            {
                writer.WriteStartElement(action + "Result");
                WriteMembers(writer, action, answer.RootElement);
                writer.WriteEndElement();
            }

            writer.WriteStartElement("ResponseMetadata");
            writer.WriteElementString("RequestId", Guid.NewGuid().ToString());
            writer.WriteEndElement();
            writer.WriteEndElement();
        });
        await WriteAsync(http, StatusCodes.Status200OK, xml);
    }

    public static Task WriteErrorAsync(HttpContext http, SqsException error)
    {
        var xml = Xml(writer =>
        {
            writer.WriteStartElement("ErrorResponse", Namespace);
            writer.WriteStartElement("Error");
            writer.WriteElementString("Type", error.StatusCode >= 500 ? "Receiver" : "Sender");
            writer.WriteElementString("Code", error.QueryCode);
            writer.WriteElementString("Message", error.Message);
            writer.WriteElementString("Detail", "");
            writer.WriteEndElement();
            writer.WriteElementString("RequestId", Guid.NewGuid().ToString());
            writer.WriteEndElement();
        });
        AwsJsonProtocol.SetQueryErrorHeader(http, error.QueryCode, error.StatusCode);
        return WriteAsync(http, error.StatusCode, xml);
    }

    private static void WriteMembers(XmlWriter writer, string action, JsonElement element)
    {
        foreach (var property in element.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "Attributes":
                    WritePairs(writer, "Attribute", "Name", value);
                    break;
                case "Tags":
                    WritePairs(writer, "Tag", "Key", value);
                    break;
                case "MessageAttributes":
                    foreach (var attribute in value.EnumerateObject())
                    {
                        writer.WriteStartElement("MessageAttribute");
                        writer.WriteElementString("Name", attribute.Name);
                        writer.WriteStartElement("Value");
                        WriteMembers(writer, action, attribute.Value);
                        writer.WriteEndElement();
                        writer.WriteEndElement();
                    }

                    break;
                case "QueueUrls" or "queueUrls" or "Messages" or "Successful" or "Failed":
                    var itemName = property.Name switch
                    {
                        "QueueUrls" or "queueUrls" => "QueueUrl",
                        "Messages" => "Message",
                        "Successful" => action + "ResultEntry",
                        _ => "BatchResultErrorEntry",
                    };
                    foreach (var item in value.EnumerateArray())
                    {
                        if (item.ValueKind == JsonValueKind.Object)
                        {
                            writer.WriteStartElement(itemName);
                            WriteMembers(writer, action, item);
                            writer.WriteEndElement();
                        }
                        else
                        {
                            writer.WriteElementString(itemName, item.GetString());
                        }
                    }

                    break;
                default:
                    writer.WriteElementString(property.Name, value.ValueKind switch
                    {
                        JsonValueKind.True => "true",
                        JsonValueKind.False => "false",
                        JsonValueKind.String => value.GetString(),
                        _ => value.GetRawText(),
                    });
                    break;
            }
        }
    }

    private static void WritePairs(XmlWriter writer, string element, string keyName, JsonElement map)
    {
        foreach (var pair in map.EnumerateObject())
        {
            writer.WriteStartElement(element);
            writer.WriteElementString(keyName, pair.Name);
            writer.WriteElementString("Value", pair.Value.GetString());
            writer.WriteEndElement();
        }
    }

    private static byte[] Xml(Action<XmlWriter> write)
    {
        var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = new UTF8Encoding(false) }))
        {
            writer.WriteStartDocument();
            write(writer);
            writer.WriteEndDocument();
        }

        return buffer.ToArray();
    }

    private static async Task WriteAsync(HttpContext http, int statusCode, byte[] xml)
    {
        http.Response.StatusCode = statusCode;
        http.Response.ContentType = "text/xml";
        http.Response.ContentLength = xml.Length;
        await http.Response.Body.WriteAsync(xml, http.RequestAborted);
    }

    /// <summary>
    /// The flat form as a tree: <c>MessageAttribute.1.Value.StringValue</c> becomes
    /// MessageAttribute → 1 → Value → StringValue; numbered children are list items in number order.
    /// </summary>
    private sealed class Node
    {
        public string? Value { get; private set; }

        public Dictionary<string, Node> Children { get; } = new(StringComparer.Ordinal);

        public void Add(string key, string value)
        {
            var node = this;
            foreach (var part in key.Split('.'))
            {
                if (!node.Children.TryGetValue(part, out var child))
                {
                    child = new Node();
                    node.Children[part] = child;
                }

                node = child;
            }

            node.Value = value;
        }

        public string? Text(string name) => Children.TryGetValue(name, out var child) ? child.Value : null;

        public IEnumerable<Node> Items() => Children
            .Where(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture))
            .Select(c => c.Value);
    }
}
