using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LocalStack.Persistence.Testing;

/// <summary>
/// Turns a valid payload (a golden set's JSON) into a hostile one, deterministically from a seeded <see cref="Random"/>:
/// wrong types, missing members, nulls, extreme numbers, 10,000-deep arrays, huge strings, duplicate keys, path and SQL
/// characters in names, asset references that do not exist, invalid account ids and regions.
/// </summary>
/// <remarks>The same seed and baseline give the same hostile payload on every machine and run.</remarks>
/// <param name="random">The source of every choice; seed it (<c>new Random(seed)</c>) to replay a case.</param>
/// <param name="hugeStringBytes">The length of the huge string mutation, in bytes.</param>
public sealed class PayloadMutator(Random random, int hugeStringBytes = PayloadMutator.DefaultHugeStringBytes)
{
    /// <summary>The default of the huge string mutation's length: 4 MiB.</summary>
    public const int DefaultHugeStringBytes = 4 * 1024 * 1024;

    private const string DeepMarker = "__lsp_fuzz_deep__";
    private const string HugeMarker = "__lsp_fuzz_huge__";
    private const string DuplicateMarker = "__lsp_fuzz_duplicate__";
    private const int NestingDepth = 10_000;

    private static readonly string[] HostileStrings =
    [
        "../../../../lsp-fuzz-escape",
        "../../lsp-fuzz-escape.db",
        "/tmp/lsp-fuzz-absolute",
        "..\\..\\lsp-fuzz-escape",
        "a/../../../b",
        "'; DROP TABLE items; --",
        "\" OR 1=1 --",
        "x\0y",
        "",
        " ",
        "💥\u202e",
        "CON",
        "0123456789abcdef0123456789abcdef.bin",
        "999999999999_us-east-1.db",
        "111122223333_us-east-1.db",
        "not-an-account",
        "US-EAST-1",
        "-1",
        "NaN",
        "9999-99-99T99:99:99Z",
        new string('k', 5_000),
    ];

    private static readonly string[] ExtremeNumbers =
    [
        "-1", "0", "-9223372036854775808", "9223372036854775807", "99999999999999999999999999999", "1e308", "-1e308", "2147483648", "1.5", "-0",
    ];

    /// <summary>Applies one or two mutations to a copy of <paramref name="baseline"/>.</summary>
    /// <param name="baseline">A valid payload; it is not changed.</param>
    /// <returns>The hostile payload's bytes and what was done to it.</returns>
    public HostilePayload Mutate(JsonNode baseline)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        var root = baseline.DeepClone();
        var done = new List<string>();
        var count = random.Next(1, 3);
        string? duplicateName = null;
        for (var i = 0; i < count; i++)
        {
            var nodes = Walk(root, "$").ToList();
            if (nodes.Count == 0)
            {
                break;
            }

            var (node, path) = nodes[random.Next(nodes.Count)];
            // Deep nesting and huge strings are refused whole by the JSON reader, hiding the other mutations: keep them rare.
            var kind = random.Next(24) switch { 0 => 4, 1 => 5, var k => k % 9 is 4 or 5 ? 8 : k % 9 };
            switch (kind)
            {
                case 0:
                    done.Add($"{path}: wrong type");
                    root = Replace(root, node, WrongType(node));
                    break;
                case 1 when node.Parent is JsonObject parentObject:
                    done.Add($"{path}: removed");
                    parentObject.Remove(node.GetPropertyName());
                    break;
                case 2:
                    done.Add($"{path}: null");
                    root = Replace(root, node, null);
                    break;
                case 3:
                    var number = ExtremeNumbers[random.Next(ExtremeNumbers.Length)];
                    done.Add($"{path}: number {number}");
                    root = Replace(root, node, JsonNode.Parse(number));
                    break;
                case 4 when !done.Any(d => d.Contains("deep", StringComparison.Ordinal)):
                    done.Add($"{path}: arrays nested {NestingDepth} deep");
                    root = Replace(root, node, DeepMarker);
                    break;
                case 5 when !done.Any(d => d.Contains("huge", StringComparison.Ordinal)):
                    done.Add($"{path}: huge string ({hugeStringBytes} bytes)");
                    root = Replace(root, node, HugeMarker);
                    break;
                case 6 when duplicateName is null && node is JsonObject { Count: > 0 } target:
                    duplicateName = target.First().Key;
                    done.Add($"{path}: duplicate key '{duplicateName}'");
                    target[DuplicateMarker] = WrongType(target.First().Value);
                    break;
                case 7 when node.Parent is JsonObject renamedIn:
                    var name = node.GetPropertyName();
                    var hostileName = HostileStrings[random.Next(HostileStrings.Length)];
                    if (!renamedIn.ContainsKey(hostileName))
                    {
                        done.Add($"{path}: renamed to '{Shorten(hostileName)}'");
                        renamedIn.Remove(name);
                        renamedIn[hostileName] = node;
                    }

                    break;
                default:
                    // Strings are where names, keys and file references live: aim at them most.
                    var strings = nodes.Where(n => n.Node is JsonValue v && v.GetValueKind() == JsonValueKind.String).ToList();
                    if (strings.Count > 0)
                    {
                        var (stringNode, stringPath) = strings[random.Next(strings.Count)];
                        var hostile = HostileStrings[random.Next(HostileStrings.Length)];
                        done.Add($"{stringPath}: '{Shorten(hostile)}'");
                        root = Replace(root, stringNode, hostile);
                    }

                    break;
            }
        }

        var text = root?.ToJsonString() ?? "null";
        if (text.Contains(DeepMarker, StringComparison.Ordinal))
        {
            text = text.Replace($"\"{DeepMarker}\"", new string('[', NestingDepth) + new string(']', NestingDepth), StringComparison.Ordinal);
        }

        if (duplicateName is not null)
        {
            text = text.Replace($"\"{DuplicateMarker}\"", JsonValue.Create(duplicateName).ToJsonString(), StringComparison.Ordinal);
        }

        if (text.Contains(HugeMarker, StringComparison.Ordinal))
        {
            text = text.Replace(HugeMarker, new string('A', hugeStringBytes), StringComparison.Ordinal);
        }

        return new HostilePayload(Encoding.UTF8.GetBytes(text), done.Count == 0 ? "unchanged" : string.Join("; ", done));
    }

    private JsonNode? WrongType(JsonNode? node)
    {
        JsonNode?[] choices = [JsonValue.Create("x"), JsonValue.Create(12345), JsonValue.Create(true), new JsonObject(), new JsonArray(), new JsonArray(JsonValue.Create(1), JsonValue.Create("two"))];
        var kind = node?.GetValueKind();
        var candidates = choices.Where(c => c!.GetValueKind() != kind).ToArray();
        return candidates[random.Next(candidates.Length)];
    }

    /// <summary>Puts <paramref name="replacement"/> where <paramref name="node"/> is; returns the (possibly new) root.</summary>
    private static JsonNode? Replace(JsonNode? root, JsonNode node, JsonNode? replacement)
    {
        switch (node.Parent)
        {
            case JsonObject o:
                o[node.GetPropertyName()] = replacement;
                return root;
            case JsonArray a:
                a[node.GetElementIndex()] = replacement;
                return root;
            default:
                return replacement;
        }
    }

    private static IEnumerable<(JsonNode Node, string Path)> Walk(JsonNode? node, string path)
    {
        if (node is null)
        {
            yield break;
        }

        yield return (node, path);
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o.ToList())
                {
                    foreach (var inner in Walk(child, $"{path}.{Shorten(name)}"))
                    {
                        yield return inner;
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    foreach (var inner in Walk(a[i], $"{path}[{i}]"))
                    {
                        yield return inner;
                    }
                }

                break;
        }
    }

    private static string Shorten(string text) => text.Length > 40 ? text[..20] + $"…({text.Length})" : text;
}

/// <summary>A payload made hostile by <see cref="PayloadMutator"/>.</summary>
/// <param name="Payload">The UTF-8 bytes (not always valid JSON: nesting and duplicate keys are written as text).</param>
/// <param name="Description">What was done, with the JSON path of each mutation, for example <c>$.Accounts[0].Buckets: null</c>.</param>
public sealed record HostilePayload(ReadOnlyMemory<byte> Payload, string Description);
