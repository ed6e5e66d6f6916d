namespace LocalStack.Persistence.SampleEmulator;

/// <summary>HTTP surface of the kv service: <c>PUT/GET/DELETE /kv/{key}</c>, <c>GET /kv</c>.</summary>
internal static class KeyValueEndpoints
{
    public static void Map(WebApplication app)
    {
        var group = app.MapGroup("/kv");
        group.MapGet("/", (KeyValueService kv, EmulatorPersistence persistence, CancellationToken ct) =>
            persistence.ReadAsync(() => Results.Json(kv.Items.Keys.Order(StringComparer.Ordinal).ToArray(), SampleJsonContext.Default.StringArray), ct));
        group.MapGet("/{key}", (string key, KeyValueService kv, EmulatorPersistence persistence, CancellationToken ct) =>
            persistence.ReadAsync(() => kv.Items.TryGetValue(key, out var value) ? Results.Text(value) : Results.NotFound(), ct));
        group.MapPut("/{key}", async (string key, HttpRequest request, KeyValueService kv, EmulatorPersistence persistence, CancellationToken ct) =>
        {
            using var reader = new StreamReader(request.Body);
            var value = await reader.ReadToEndAsync(ct);
            await persistence.MutateAsync(kv, () => { kv.Put(key, value); return true; }, ct);
            return Results.NoContent();
        });
        group.MapDelete("/{key}", async (string key, KeyValueService kv, EmulatorPersistence persistence, CancellationToken ct) =>
            await persistence.MutateAsync(kv, () => kv.Delete(key), ct) ? Results.NoContent() : Results.NotFound());
    }
}
