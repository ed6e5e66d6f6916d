using LocalStack.Persistence.Coordination;

namespace LocalStack.Persistence.SampleEmulator;

/// <summary>
/// HTTP surface of the kv service: <c>PUT/GET/DELETE /kv/{key}</c>, <c>GET /kv</c>. Every request runs inside a request
/// scope of the snapshot manager: it loads the service lazily and lets the save strategy see each mutation.
/// </summary>
internal static class KeyValueEndpoints
{
    public static void Map(WebApplication app)
    {
        var group = app.MapGroup("/kv");
        group.MapGet("/", async (KeyValueService kv, ISnapshotManager snapshots, CancellationToken ct) =>
        {
            await using var scope = await snapshots.BeginRequestAsync(KeyValueService.Name, mutating: false, ct);
            return Results.Json(kv.Items.Keys.Order(StringComparer.Ordinal).ToArray(), SampleJsonContext.Default.StringArray);
        });
        group.MapGet("/{key}", async (string key, KeyValueService kv, ISnapshotManager snapshots, CancellationToken ct) =>
        {
            await using var scope = await snapshots.BeginRequestAsync(KeyValueService.Name, mutating: false, ct);
            return kv.Items.TryGetValue(key, out var value) ? Results.Text(value) : Results.NotFound();
        });
        group.MapPut("/{key}", async (string key, HttpRequest request, KeyValueService kv, ISnapshotManager snapshots, CancellationToken ct) =>
        {
            using var reader = new StreamReader(request.Body);
            var value = await reader.ReadToEndAsync(ct);
            await using (await snapshots.BeginRequestAsync(KeyValueService.Name, mutating: true, ct))
            {
                kv.Put(key, value);
            }

            // Under ON_REQUEST the scope's dispose returned only once the change was durable.
            return Results.NoContent();
        });
        group.MapDelete("/{key}", async (string key, KeyValueService kv, ISnapshotManager snapshots, CancellationToken ct) =>
        {
            bool deleted;
            await using (await snapshots.BeginRequestAsync(KeyValueService.Name, mutating: true, ct))
            {
                deleted = kv.Delete(key);
            }

            return deleted ? Results.NoContent() : Results.NotFound();
        });
    }
}
