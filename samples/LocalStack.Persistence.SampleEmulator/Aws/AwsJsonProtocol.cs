using System.Text.Json;

namespace LocalStack.Persistence.SampleEmulator.Aws;

/// <summary>Shared parts of the AWS JSON protocols (SQS in SDK v4, DynamoDB JSON 1.0).</summary>
internal static class AwsJsonProtocol
{
    public const string ContentType = "application/x-amz-json-1.0";

    /// <summary>
    /// Writes an AWS JSON error: <c>{"__type":"&lt;namespace&gt;#&lt;Code&gt;","message":"..."}</c>; the SDKs take the code from
    /// the part after <c>#</c>. <paramref name="queryErrorCode"/> adds SQS's <c>x-amzn-query-error: &lt;code&gt;;Sender</c>.
    /// </summary>
    public static async Task WriteErrorAsync(HttpContext http, int statusCode, string type, string message, string? queryErrorCode = null)
    {
        http.Response.StatusCode = statusCode;
        http.Response.ContentType = ContentType;
        if (queryErrorCode is not null)
        {
            SetQueryErrorHeader(http, queryErrorCode, statusCode);
        }

        await using var writer = new Utf8JsonWriter(http.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("__type", type);
        writer.WriteString("message", message);
        writer.WriteEndObject();
        await writer.FlushAsync(http.RequestAborted);
    }

    /// <summary>SQS's <c>x-amzn-query-error: &lt;code&gt;;Sender</c> (or <c>Receiver</c> for a 5xx), in either protocol.</summary>
    public static void SetQueryErrorHeader(HttpContext http, string queryErrorCode, int statusCode)
        => http.Response.Headers["x-amzn-query-error"] = $"{queryErrorCode};{(statusCode >= 500 ? "Receiver" : "Sender")}";

    /// <summary>The operation named by <c>X-Amz-Target: &lt;prefix&gt;.&lt;Operation&gt;</c>, or <see langword="null"/>.</summary>
    public static string? Operation(HttpRequest request)
    {
        var target = request.Headers["X-Amz-Target"].ToString();
        var dot = target.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 ? target[(dot + 1)..] : null;
    }
}
