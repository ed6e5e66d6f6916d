using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace LocalStack.Persistence.AspNetCore.Endpoints;

/// <summary>The request delegates behind <see cref="SnapshotEndpointRouteBuilderExtensions"/> (plain delegates: AOT-safe, no generated binding).</summary>
internal static class SnapshotStateHandlers
{
    public const string NdjsonContentType = "application/x-ndjson";

    private const string OperationsText = "expected save, load, reset or delete";

    /// <summary>What the status says when nothing is written, so that <c>dirty: false</c> is not read as "saved".</summary>
    private const string DisabledNote = "Persistence is disabled (PERSISTENCE=0): nothing is saved or loaded; the state lives in memory only and is lost when the process stops. Set PERSISTENCE=1 to keep snapshots.";

    private const string ReadOnlyNote = "Persistence is read-only: the snapshots were loaded as a baseline and are never saved; changes are lost when the process stops.";

    public static Task StatusAsync(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method))
        {
            return MethodNotAllowedAsync(context, HttpMethods.Get, service: null);
        }

        var services = context.RequestServices;
        var manager = services.GetRequiredService<ISnapshotManager>();
        var lines = new List<ServiceStatusLine>(manager.ServiceNames.Count);
        foreach (var name in manager.ServiceNames)
        {
            var status = manager.GetStatus(name);
            lines.Add(new ServiceStatusLine(name, status.Loaded, status.Dirty, status.Faulted, status.Generation, status.LastSavedAt, status.StoredSize, status.LastError));
        }

        var response = new SnapshotStatusResponse(
            SnapshotHealth.GetPersistenceFeature(manager),
            manager.IsReadOnly,
            services.GetService<ISaveStrategy>()?.Name,
            services.GetService<ILoadStrategy>()?.Name,
            lines,
            !manager.IsEnabled ? DisabledNote : manager.IsReadOnly ? ReadOnlyNote : null);
        return WriteJsonAsync(context, StatusCodes.Status200OK, response, AspNetCoreJsonContext.Relaxed.SnapshotStatusResponse);
    }

    public static async Task AllServicesAsync(HttpContext context)
    {
        var operation = context.GetRouteValue("operation") as string;
        if (!IsOperation(operation))
        {
            await ErrorAsync(context, StatusCodes.Status404NotFound, null, $"Unknown operation '{operation}': {OperationsText} (POST {{prefix}}/<operation> or POST {{prefix}}/<service>/<operation>).").ConfigureAwait(false);
            return;
        }

        if (!HttpMethods.IsPost(context.Request.Method))
        {
            await MethodNotAllowedAsync(context, HttpMethods.Post, service: null).ConfigureAwait(false);
            return;
        }

        var manager = context.RequestServices.GetRequiredService<ISnapshotManager>();
        if (RefusalOf(manager, operation) is { } refusal)
        {
            await ErrorAsync(context, StatusCodes.Status409Conflict, null, refusal).ConfigureAwait(false);
            return;
        }

        var cancellationToken = context.RequestAborted;
        var results = operation switch
        {
            "save" => manager.SaveAllAsync(dirtyOnly: false, cancellationToken),
            "load" => manager.LoadAllAsync(cancellationToken),
            "delete" => manager.DeleteAllSnapshotsAsync(cancellationToken),
            _ => manager.ResetAllAsync(cancellationToken),
        };

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = NdjsonContentType;
        response.Headers.CacheControl = "no-cache";

        // Each line must reach the client as its service finishes, not when the last one does.
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var result in results.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var line = result.Succeeded
                ? new ServiceResultLine(result.ServiceName, ServiceResultLine.OkStatus)
                : new ServiceResultLine(result.ServiceName, ServiceResultLine.ErrorStatus, result.Error!.Message);
            await WriteLineAsync(response.BodyWriter, line, cancellationToken).ConfigureAwait(false);
        }
    }

    public static async Task OneServiceAsync(HttpContext context)
    {
        var operation = context.GetRouteValue("operation") as string;
        var service = context.GetRouteValue("service") as string;
        if (!IsOperation(operation))
        {
            await ErrorAsync(context, StatusCodes.Status404NotFound, null, $"Unknown operation '{operation}': {OperationsText}.").ConfigureAwait(false);
            return;
        }

        if (service is null || !ServiceNameRules.IsValid(service))
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, service, "Invalid service name: expected lower-case letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 characters.").ConfigureAwait(false);
            return;
        }

        if (!HttpMethods.IsPost(context.Request.Method))
        {
            await MethodNotAllowedAsync(context, HttpMethods.Post, service).ConfigureAwait(false);
            return;
        }

        var manager = context.RequestServices.GetRequiredService<ISnapshotManager>();
        if (!manager.ServiceNames.Contains(service, StringComparer.Ordinal))
        {
            await ErrorAsync(context, StatusCodes.Status404NotFound, service, $"Unknown service '{service}'; registered: {string.Join(", ", manager.ServiceNames)}.").ConfigureAwait(false);
            return;
        }

        if (RefusalOf(manager, operation) is { } refusal)
        {
            await ErrorAsync(context, StatusCodes.Status409Conflict, service, refusal).ConfigureAwait(false);
            return;
        }

        var cancellationToken = context.RequestAborted;
        try
        {
            switch (operation)
            {
                case "save":
                    await manager.SaveAsync(service, cancellationToken).ConfigureAwait(false);
                    break;
                case "load":
                    await manager.LoadAsync(service, cancellationToken).ConfigureAwait(false);
                    break;
                case "delete":
                    await manager.DeleteSnapshotAsync(service, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    await manager.ResetAsync(service, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await ErrorAsync(context, StatusCodes.Status500InternalServerError, service, exception.Message).ConfigureAwait(false);
            return;
        }

        await WriteJsonAsync(context, StatusCodes.Status200OK, new ServiceResultLine(service, ServiceResultLine.OkStatus), AspNetCoreJsonContext.Relaxed.ServiceResultLine).ConfigureAwait(false);
    }

    public static Task HealthAsync(HttpContext context, string version)
    {
        var manager = context.RequestServices.GetRequiredService<ISnapshotManager>();
        var services = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in manager.ServiceNames)
        {
            services[name] = manager.GetStatus(name).Loaded ? "running" : "available";
        }

        var features = new Dictionary<string, string>(StringComparer.Ordinal) { ["persistence"] = SnapshotHealth.GetPersistenceFeature(manager) };
        return WriteJsonAsync(context, StatusCodes.Status200OK, new HealthResponse(services, features, "community", version), AspNetCoreJsonContext.Relaxed.HealthResponse);
    }

    private static bool IsOperation([NotNullWhen(true)] string? operation) => operation is "save" or "load" or "reset" or "delete";

    /// <summary>Why an operation cannot run in the manager's mode; a reset empties the live state in every mode, as LocalStack's does.</summary>
    private static string? RefusalOf(ISnapshotManager manager, string operation)
    {
        if (operation == "reset")
        {
            return null;
        }

        if (!manager.IsEnabled)
        {
            return $"Persistence is disabled (PERSISTENCE=0): nothing to {operation}. Set PERSISTENCE=1 to keep snapshots.";
        }

        return operation is "save" or "delete" && manager.IsReadOnly
            ? $"Persistence is read-only (a baseline that is loaded but never saved): {operation} is refused."
            : null;
    }

    private static Task MethodNotAllowedAsync(HttpContext context, string allowed, string? service)
    {
        context.Response.Headers[HeaderNames.Allow] = allowed;
        return ErrorAsync(context, StatusCodes.Status405MethodNotAllowed, service, $"Method {context.Request.Method} is not allowed here: use {allowed}.");
    }

    private static Task ErrorAsync(HttpContext context, int statusCode, string? service, string message)
        => WriteJsonAsync(context, statusCode, new ServiceResultLine(service, ServiceResultLine.ErrorStatus, message), AspNetCoreJsonContext.Relaxed.ServiceResultLine);

    private static Task WriteJsonAsync<T>(HttpContext context, int statusCode, T value, JsonTypeInfo<T> typeInfo)
    {
        context.Response.StatusCode = statusCode;
        return context.Response.WriteAsJsonAsync(value, typeInfo, "application/json", context.RequestAborted);
    }

    private static async ValueTask WriteLineAsync(PipeWriter writer, ServiceResultLine line, CancellationToken cancellationToken)
    {
        using (var json = new Utf8JsonWriter(writer, new JsonWriterOptions { Encoder = AspNetCoreJsonContext.Encoder }))
        {
            JsonSerializer.Serialize(json, line, AspNetCoreJsonContext.Relaxed.ServiceResultLine);
        }

        writer.Write("\n"u8);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
