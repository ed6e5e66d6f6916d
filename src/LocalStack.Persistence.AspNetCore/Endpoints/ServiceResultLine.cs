using System.Text.Json.Serialization;

namespace LocalStack.Persistence.AspNetCore;

/// <summary>One line of a state endpoint's answer: <c>{"service":"s3","status":"ok"}</c> or with <c>"message"</c> on error.</summary>
internal sealed record ServiceResultLine(
    [property: JsonPropertyName("service")] string Service,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("message"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Message = null)
{
    public const string OkStatus = "ok";
    public const string ErrorStatus = "error";
}

[JsonSerializable(typeof(ServiceResultLine))]
internal sealed partial class AspNetCoreJsonContext : JsonSerializerContext;
