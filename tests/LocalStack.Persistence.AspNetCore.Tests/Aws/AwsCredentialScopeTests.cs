using LocalStack.Persistence.AspNetCore.Aws;
using Microsoft.AspNetCore.Http;

namespace LocalStack.Persistence.AspNetCore.Tests.Aws;

/// <summary>Parsing of the SigV4 credential scope and the account/region rules LocalStack applies to it.</summary>
public sealed class AwsCredentialScopeTests
{
    [TestCase("123456789012/20260101/eu-west-2/s3/aws4_request", "123456789012", "eu-west-2", "s3", "123456789012")]
    [TestCase("AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/dynamodb/aws4_request", "AKIAIOSFODNN7EXAMPLE", "us-east-1", "dynamodb", "000000000000")]
    [TestCase("test/20260101/ap-south-1/sqs/aws4_request", "test", "ap-south-1", "sqs", "000000000000")]
    [TestCase("12345678901/20260101/us-east-1/sqs/aws4_request", "12345678901", "us-east-1", "sqs", "000000000000")]
    [TestCase("12345678901a/20260101/us-east-1/sqs/aws4_request", "12345678901a", "us-east-1", "sqs", "000000000000")]
    public void A_well_formed_scope_parses_and_a_12_digit_key_is_the_account(string credential, string key, string region, string service, string account)
    {
        Assert.That(AwsCredentialScope.TryParse(credential, out var scope), Is.True);
        Assert.That(scope!.AccessKeyId, Is.EqualTo(key));
        Assert.That(scope.Date, Is.EqualTo("20260101"));
        Assert.That(scope.Region, Is.EqualTo(region));
        Assert.That(scope.Service, Is.EqualTo(service));
        Assert.That(scope.AccountId, Is.EqualTo(account));
    }

    [TestCase("")]
    [TestCase("AKID")]
    [TestCase("AKID/20260101/us-east-1/s3")]
    [TestCase("AKID/20260101/us-east-1/s3/aws4_requests")]
    [TestCase("AKID/20260101/us-east-1/s3/aws4_request/extra")]
    [TestCase("AKID//us-east-1/s3/aws4_request")]
    [TestCase("AKID/20260101/us-east-1//aws4_request")]
    public void A_malformed_scope_does_not_parse(string credential)
    {
        Assert.That(AwsCredentialScope.TryParse(credential, out var scope), Is.False);
        Assert.That(scope, Is.Null);
    }

    [Test]
    public void The_authorization_header_wins_over_a_presigned_query()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = "AWS4-HMAC-SHA256 Credential=111111111111/20260101/eu-west-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";
        context.Request.QueryString = new QueryString("?X-Amz-Credential=222222222222%2F20260101%2Fus-west-2%2Fs3%2Faws4_request");

        var scope = AwsCredentialScope.FromRequest(context.Request);

        Assert.That(scope, Is.EqualTo(new AwsCredentialScope("111111111111", "20260101", "eu-west-1", "sqs")));
    }

    [TestCase("AWS AKIAIOSFODNN7EXAMPLE:signature")]
    [TestCase("Bearer token")]
    [TestCase("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc")]
    [TestCase("AWS4-HMAC-SHA256 Credential=broken, SignedHeaders=host")]
    public void Other_authorization_schemes_carry_no_scope(string authorization)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = authorization;

        Assert.That(AwsCredentialScope.FromRequest(context.Request), Is.Null);
    }

    [TestCase("GET", null, false)]
    [TestCase("HEAD", null, false)]
    [TestCase("PUT", null, true)]
    [TestCase("POST", "", true)]
    [TestCase("POST", "Query", false)]
    [TestCase("POST", "Scan", false)]
    [TestCase("POST", "BatchGetItem", false)]
    [TestCase("POST", "DescribeTable", false)]
    [TestCase("POST", "HeadBucket", false)]
    [TestCase("POST", "ListQueues", false)]
    [TestCase("POST", "Get", false)]
    [TestCase("GET", "ReceiveMessage", true)]
    [TestCase("POST", "BatchWriteItem", true)]
    [TestCase("POST", "Getaway", true)]
    [TestCase("POST", "Listen", true)]
    [TestCase("POST", "QueryAll", true)]
    [TestCase("POST", "ExecuteStatement", true)]
    public void Reads_are_the_named_read_operations_and_rest_get_or_head(string method, string? operation, bool mutating)
        => Assert.That(AwsServiceRequestResolver.IsMutating(method, operation), Is.EqualTo(mutating));
}
