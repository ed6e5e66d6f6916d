using LocalStack.Persistence.AspNetCore.Aws;

namespace LocalStack.Persistence.SampleEmulator.Aws;

/// <summary>One AWS API request with the account and region it addresses (LocalStack's rules: a 12-digit access key id is
/// the account, otherwise <c>000000000000</c>; the region comes from the SigV4 scope, default <c>us-east-1</c>).</summary>
internal sealed record AwsRequestContext(HttpContext Http, string AccountId, string Region)
{
    public HttpRequest Request => Http.Request;

    public HttpResponse Response => Http.Response;

    public CancellationToken Aborted => Http.RequestAborted;

    public static AwsRequestContext From(HttpContext http)
    {
        var scope = AwsCredentialScope.FromRequest(http.Request);
        return new AwsRequestContext(http, scope?.AccountId ?? AwsCredentialScope.DefaultAccountId, scope?.Region ?? AwsCredentialScope.DefaultRegion);
    }
}
