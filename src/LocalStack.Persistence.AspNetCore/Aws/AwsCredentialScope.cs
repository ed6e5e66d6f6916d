using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;

namespace LocalStack.Persistence.AspNetCore.Aws;

/// <summary>
/// The SigV4 credential scope of a request: <c>&lt;access key&gt;/&lt;yyyymmdd&gt;/&lt;region&gt;/&lt;service&gt;/aws4_request</c>,
/// from the <c>Authorization</c> header or a presigned URL's <c>X-Amz-Credential</c>.
/// </summary>
/// <param name="AccessKeyId">The access key id.</param>
/// <param name="Date">The scope's date, <c>yyyymmdd</c>.</param>
/// <param name="Region">The region, e.g. <c>us-east-1</c>.</param>
/// <param name="Service">The signing name of the service, e.g. <c>s3</c>, <c>sqs</c>, <c>dynamodb</c>.</param>
public sealed record AwsCredentialScope(string AccessKeyId, string Date, string Region, string Service)
{
    /// <summary>The account LocalStack uses when the access key id is not a 12-digit account id.</summary>
    public const string DefaultAccountId = "000000000000";

    /// <summary>The region used when a request carries no credential scope.</summary>
    public const string DefaultRegion = "us-east-1";

    private const string CredentialField = "Credential=";

    /// <summary>Gets the account: the access key id when it is 12 digits (as LocalStack does), otherwise <see cref="DefaultAccountId"/>.</summary>
    public string AccountId => AccessKeyId.Length == 12 && AccessKeyId.All(char.IsAsciiDigit) ? AccessKeyId : DefaultAccountId;

    /// <summary>Parses a credential value, <c>AKID/20260101/us-east-1/s3/aws4_request</c>.</summary>
    /// <param name="credential">The value.</param>
    /// <param name="scope">The scope, when the value is well formed.</param>
    /// <returns><see langword="true"/> when the value is a well-formed credential scope.</returns>
    public static bool TryParse(ReadOnlySpan<char> credential, [NotNullWhen(true)] out AwsCredentialScope? scope)
    {
        scope = null;
        Span<Range> parts = stackalloc Range[6];
        if (credential.Split(parts, '/') != 5 || !credential[parts[4]].SequenceEqual("aws4_request"))
        {
            return false;
        }

        for (var i = 0; i < 4; i++)
        {
            if (credential[parts[i]].IsEmpty)
            {
                return false;
            }
        }

        scope = new AwsCredentialScope(
            credential[parts[0]].ToString(),
            credential[parts[1]].ToString(),
            credential[parts[2]].ToString(),
            credential[parts[3]].ToString());
        return true;
    }

    /// <summary>Reads the scope of a request: the <c>Authorization</c> header first, then a presigned <c>X-Amz-Credential</c>.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The scope, or <see langword="null"/> when the request is not SigV4-signed.</returns>
    public static AwsCredentialScope? FromRequest(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var authorization = request.Headers.Authorization.ToString().AsSpan();
        if (authorization.StartsWith("AWS4-HMAC-SHA256", StringComparison.Ordinal))
        {
            var start = authorization.IndexOf(CredentialField, StringComparison.Ordinal);
            if (start >= 0)
            {
                var value = authorization[(start + CredentialField.Length)..];
                var end = value.IndexOfAny(',', ' ');
                if (TryParse(end < 0 ? value : value[..end], out var fromHeader))
                {
                    return fromHeader;
                }
            }
        }

        return request.Query.TryGetValue("X-Amz-Credential", out var presigned) && TryParse(presigned.ToString(), out var fromQuery)
            ? fromQuery
            : null;
    }
}
