using System.Text.Json.Nodes;

namespace LocalStack.Persistence.AspNetCore.Tests.Support;

internal static class Json
{
    /// <summary>Reads a response as JSON, failing with the raw text when it is not JSON.</summary>
    public static async Task<JsonNode> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return JsonNode.Parse(text) ?? throw new AssertionException($"null JSON: {text}");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new AssertionException($"not JSON ({e.Message}): {text}");
        }
    }
}
