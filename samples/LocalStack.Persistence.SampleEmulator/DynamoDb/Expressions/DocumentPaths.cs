using System.Text.Json.Nodes;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb.Expressions;

/// <summary>Reads, writes and removes values at document paths inside an item (maps by key, lists by index).</summary>
internal static class DocumentPaths
{
    public static JsonNode? Get(JsonObject? item, DocumentPath path)
    {
        if (item is null || !item.TryGetPropertyValue(path.TopLevelName, out var current) || current is null)
        {
            return null;
        }

        for (var i = 1; i < path.Elements.Count && current is not null; i++)
        {
            current = Child(current, path.Elements[i]);
        }

        return current;
    }

    /// <summary>Sets a copy of <paramref name="value"/> at <paramref name="path"/>; the parent of a nested path must exist.</summary>
    public static void Set(JsonObject item, DocumentPath path, JsonNode value)
    {
        var copy = value.DeepClone();
        if (path.Elements.Count == 1)
        {
            item[path.TopLevelName] = copy;
            return;
        }

        var parent = Parent(item, path);
        var last = path.Elements[^1];
        if (last.Name is not null && parent.TryGetPropertyValue("M", out var map) && map is JsonObject mapObject)
        {
            mapObject[last.Name] = copy;
        }
        else if (last.Name is null && parent.TryGetPropertyValue("L", out var list) && list is JsonArray array)
        {
            // DynamoDB appends when the index is past the end of the list.
            if (last.Index < array.Count)
            {
                array[last.Index] = copy;
            }
            else
            {
                array.Add(copy);
            }
        }
        else
        {
            throw InvalidPath();
        }
    }

    public static void Remove(JsonObject item, DocumentPath path)
    {
        if (path.Elements.Count == 1)
        {
            item.Remove(path.TopLevelName);
            return;
        }

        if (Get(item, new DocumentPath(path.Elements.Take(path.Elements.Count - 1).ToArray())) is not JsonObject parent)
        {
            return;
        }

        var last = path.Elements[^1];
        if (last.Name is not null && parent["M"] is JsonObject map)
        {
            map.Remove(last.Name);
        }
        else if (last.Name is null && parent["L"] is JsonArray list && last.Index < list.Count)
        {
            list.RemoveAt(last.Index);
        }
    }

    /// <summary>Copies the values at <paramref name="paths"/> into a new item, keeping their nesting (ProjectionExpression).</summary>
    public static JsonObject Project(JsonObject item, IReadOnlyList<DocumentPath> paths)
    {
        var result = new JsonObject();
        foreach (var path in paths)
        {
            if (Get(item, path) is not { } value)
            {
                continue;
            }

            if (path.Elements.Count == 1)
            {
                result[path.TopLevelName] = value.DeepClone();
                continue;
            }

            // Rebuild the containers along the path; projected list elements are appended in projection order.
            JsonNode container = result[path.TopLevelName] ??= Empty(path.Elements[1]);
            for (var i = 1; i < path.Elements.Count; i++)
            {
                var element = path.Elements[i];
                var isLast = i == path.Elements.Count - 1;
                JsonNode next = isLast ? value.DeepClone() : Empty(path.Elements[i + 1]);
                if (element.Name is not null && container["M"] is JsonObject map)
                {
                    container = map[element.Name] ??= next;
                }
                else if (element.Name is null && container["L"] is JsonArray list)
                {
                    list.Add(next);
                    container = next;
                }
                else
                {
                    break;
                }
            }
        }

        return result;
    }

    private static JsonObject Empty(PathElement child)
        => child.Name is null ? new JsonObject { ["L"] = new JsonArray() } : new JsonObject { ["M"] = new JsonObject() };

    private static JsonObject Parent(JsonObject item, DocumentPath path)
        => Get(item, new DocumentPath(path.Elements.Take(path.Elements.Count - 1).ToArray())) as JsonObject ?? throw InvalidPath();

    private static JsonNode? Child(JsonNode value, PathElement element)
    {
        if (element.Name is not null)
        {
            return value["M"] is JsonObject map && map.TryGetPropertyValue(element.Name, out var child) ? child : null;
        }

        return value["L"] is JsonArray list && element.Index < list.Count ? list[element.Index] : null;
    }

    private static DynamoDbException InvalidPath()
        => DynamoDbException.Validation("The document path provided in the update expression is invalid for update");
}
