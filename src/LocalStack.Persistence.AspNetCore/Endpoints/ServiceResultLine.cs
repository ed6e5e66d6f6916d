using System.Text.Json.Serialization;

namespace LocalStack.Persistence.AspNetCore.Endpoints;

/// <summary>
/// One line of a state endpoint's answer: <c>{"service":"s3","status":"ok"}</c>, with <c>"message"</c> on error.
/// Errors that concern no service (an unknown operation) leave <c>"service"</c> out.
/// </summary>
internal sealed record ServiceResultLine(
    [property: JsonPropertyName("service"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Service,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("message"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Message = null)
{
    public const string OkStatus = "ok";
    public const string ErrorStatus = "error";
}
