using LocalStack.Persistence.State;

namespace LocalStack.Persistence.SampleEmulator;

/// <summary>LocalStack's <c>POST /_localstack/state/{service}/save|load|reset</c> and <c>/_localstack/health</c>.</summary>
internal static class StateEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/_localstack/health", (EmulatorSettings settings) =>
            Results.Text("{\"features\":{\"persistence\":\"" + (settings.Persistence ? "initialized" : "disabled") + "\"},\"services\":{\"kv\":\"running\"}}", "application/json"));

        app.MapPost("/_localstack/state/{service}/{operation}", async (string service, string operation, EmulatorPersistence persistence, CancellationToken ct) =>
        {
            var op = operation switch
            {
                "save" => SnapshotOperation.Save,
                "load" => SnapshotOperation.Load,
                "reset" => SnapshotOperation.Reset,
                _ => (SnapshotOperation?)null,
            };
            if (op is null || !ServiceNames.IsValid(service))
            {
                return Results.Text($$"""{"service":"{{Escape(service)}}","status":"error","message":"expected POST /_localstack/state/<service>/save|load|reset"}""", "application/json", statusCode: 400);
            }

            var provider = persistence.Services.FirstOrDefault(s => s.ServiceName == service);
            if (provider is null)
            {
                return Results.Text($$"""{"service":"{{service}}","status":"error","message":"unknown service"}""", "application/json", statusCode: 404);
            }

            try
            {
                await persistence.RunAsync(provider, op.Value, ct);
                return Results.Text($$"""{"service":"{{service}}","status":"ok"}""", "application/json");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return Results.Text($$"""{"service":"{{service}}","status":"error","message":"{{Escape(e.Message)}}"}""", "application/json", statusCode: 500);
            }
        });
    }

    private static string Escape(string text) => System.Text.Json.JsonEncodedText.Encode(text).ToString();
}
