using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalStack.Persistence.AspNetCore.Endpoints;

/// <summary>The answer of <c>GET {prefix}</c>: persistence mode, strategies and the status of every service.</summary>
internal sealed record SnapshotStatusResponse(
    [property: JsonPropertyName("persistence")] string Persistence,
    [property: JsonPropertyName("readOnly")] bool ReadOnly,
    [property: JsonPropertyName("saveStrategy")] string? SaveStrategy,
    [property: JsonPropertyName("loadStrategy")] string? LoadStrategy,
    [property: JsonPropertyName("services")] IReadOnlyList<ServiceStatusLine> Services,
    [property: JsonPropertyName("note"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Note = null);

/// <summary>One service in <see cref="SnapshotStatusResponse"/>.</summary>
internal sealed record ServiceStatusLine(
    [property: JsonPropertyName("service")] string Service,
    [property: JsonPropertyName("loaded")] bool Loaded,
    [property: JsonPropertyName("dirty")] bool Dirty,
    [property: JsonPropertyName("faulted")] bool Faulted,
    [property: JsonPropertyName("generation")] long Generation,
    [property: JsonPropertyName("lastSaved")] DateTimeOffset? LastSaved,
    [property: JsonPropertyName("storedSize")] long StoredSize,
    [property: JsonPropertyName("lastError")] string? LastError);

/// <summary>LocalStack's <c>/_localstack/health</c> answer.</summary>
internal sealed record HealthResponse(
    [property: JsonPropertyName("services")] IReadOnlyDictionary<string, string> Services,
    [property: JsonPropertyName("features")] IReadOnlyDictionary<string, string> Features,
    [property: JsonPropertyName("edition")] string Edition,
    [property: JsonPropertyName("version")] string Version);

[JsonSerializable(typeof(ServiceResultLine))]
[JsonSerializable(typeof(SnapshotStatusResponse))]
[JsonSerializable(typeof(HealthResponse))]
internal sealed partial class AspNetCoreJsonContext : JsonSerializerContext
{
    /// <summary>Relaxed escaping keeps messages readable in a terminal (<c>'s3'</c>, not <c>\u0027s3\u0027</c>); these answers are JSON for API clients, never embedded in HTML.</summary>
    public static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>The context the endpoints and the middleware write with.</summary>
    public static AspNetCoreJsonContext Relaxed { get; } = new(new JsonSerializerOptions { Encoder = Encoder });
}
