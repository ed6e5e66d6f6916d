using System.Text.Json;
using LocalStack.Persistence.Coordination;
using Microsoft.Extensions.Options;
using LocalStack.Persistence.Configuration;

namespace LocalStack.Persistence.SampleEmulator;

/// <summary>
/// LocalStack's <c>POST /_localstack/state/{service}/save|load|reset</c> and <c>/_localstack/health</c>, written by hand
/// until the ASP.NET Core package ships them.
/// </summary>
internal static class StateEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/_localstack/health", (IOptions<SnapshotPersistenceOptions> options) =>
            Results.Text(
                "{\"features\":{\"persistence\":\"" + (options.Value.Enabled ? "initialized" : "disabled") + "\"},\"services\":{\"s3\":\"running\",\"sqs\":\"running\",\"dynamodb\":\"running\"}}",
                "application/json"));

        app.MapPost("/_localstack/state/{service}/{operation}", async (string service, string operation, ISnapshotManager snapshots, CancellationToken ct) =>
        {
            if (operation is not ("save" or "load" or "reset") || !ServiceNames.IsValid(service))
            {
                return Line(service, "expected POST /_localstack/state/<service>/save|load|reset", StatusCodes.Status400BadRequest);
            }

            if (!snapshots.ServiceNames.Contains(service))
            {
                return Line(service, "unknown service", StatusCodes.Status404NotFound);
            }

            try
            {
                switch (operation)
                {
                    case "save":
                        await snapshots.SaveAsync(service, ct);
                        break;
                    case "load":
                        await snapshots.LoadAsync(service, ct);
                        break;
                    default:
                        await snapshots.ResetAsync(service, ct);
                        break;
                }

                return Line(service, null, StatusCodes.Status200OK);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return Line(service, e.Message, StatusCodes.Status500InternalServerError);
            }
        });
    }

    private static IResult Line(string service, string? error, int statusCode)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("service", service);
            json.WriteString("status", error is null ? "ok" : "error");
            if (error is not null)
            {
                json.WriteString("message", error);
            }

            json.WriteEndObject();
        }

        return Results.Text(buffer.ToArray(), "application/json", statusCode);
    }
}
