using System.Net.Http.Headers;
using System.Text;
using LocalStack.Persistence.AspNetCore.Aws;
using LocalStack.Persistence.AspNetCore.Tests.Support;

namespace LocalStack.Persistence.AspNetCore.Tests.Aws;

/// <summary>Requests without a SigV4 scope: the service comes from X-Amz-Target, the host, an SQS queue path or the default.</summary>
public sealed class UnsignedRequestResolverTests : IDisposable
{
    private CaptureServer _withDefault = null!;
    private CaptureServer _withoutDefault = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task StartServers()
    {
        _withDefault = await CaptureServer.StartAsync(new AwsServiceRequestResolver("s3"));
        _withoutDefault = await CaptureServer.StartAsync(new AwsServiceRequestResolver());
        _http = new HttpClient { Timeout = TestHost.Patience };
    }

    [OneTimeTearDown]
    public async Task StopServers()
    {
        await _withDefault.DisposeAsync();
        await _withoutDefault.DisposeAsync();
    }

    public void Dispose() => _http?.Dispose();

    [TestCase("DynamoDB_20120810.PutItem", "dynamodb", true)]
    [TestCase("DynamoDB_20120810.GetItem", "dynamodb", false)]
    [TestCase("DynamoDB_20120810.TransactWriteItems", "dynamodb", true)]
    [TestCase("DynamoDB_20120810.TransactGetItems", "dynamodb", false)]
    [TestCase("AmazonSQS.SendMessage", "sqs", true)]
    [TestCase("AmazonSQS.ReceiveMessage", "sqs", true)]
    [TestCase("AmazonSQS.ListQueues", "sqs", false)]
    [TestCase("Kinesis_20131202.PutRecord", "kinesis", true)]
    public async Task X_amz_target_alone_names_service_and_operation(string target, string service, bool mutating)
    {
        var captured = await SendAsync(_withDefault, HttpMethod.Post, "/", request =>
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
            request.Content = new StringContent("{}", Encoding.UTF8, "application/x-amz-json-1.0");
        });

        Assert.That(captured.Resolved, Is.EqualTo(new ServiceRequest(service, mutating)));
        Assert.That(captured.Scope, Is.Null);
    }

    [TestCase("SendMessage", true)]
    [TestCase("ReceiveMessage", true)]
    [TestCase("ListQueues", false)]
    [TestCase("GetQueueAttributes", false)]
    public async Task The_query_protocols_form_action_is_read_and_the_body_left_readable(string action, bool mutating)
    {
        var form = $"Action={action}&QueueUrl=http%3A%2F%2Flocalhost%2F000000000000%2Forders&Version=2012-11-05";

        var captured = await SendAsync(_withDefault, HttpMethod.Post, "/", request =>
        {
            request.Headers.Host = "sqs.us-east-1.localhost.localstack.cloud";
            request.Content = new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded");
        });

        Assert.That(captured.Resolved, Is.EqualTo(new ServiceRequest("sqs", mutating)));
        Assert.That(captured.BodyReadAfterwards, Is.EqualTo(form));
    }

    [TestCase("ListQueues", false)]
    [TestCase("PurgeQueue", true)]
    public async Task The_query_string_action_is_read(string action, bool mutating)
    {
        var captured = await SendAsync(_withDefault, HttpMethod.Get, $"/?Action={action}", request => request.Headers.Host = "sqs.eu-west-1.amazonaws.com");

        Assert.That(captured.Resolved, Is.EqualTo(new ServiceRequest("sqs", mutating)));
    }

    [TestCase("POST", "Action=ReceiveMessage", true)]
    [TestCase("POST", "Action=GetQueueAttributes", false)]
    public async Task An_sqs_queue_path_names_sqs(string method, string form, bool mutating)
    {
        var captured = await SendAsync(_withoutDefault, new HttpMethod(method), "/000000000000/orders", request =>
            request.Content = new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.That(captured.Resolved, Is.EqualTo(new ServiceRequest("sqs", mutating)));
    }

    [TestCase("photos.s3.localhost.localstack.cloud", "GET", "/a.txt", "s3", false)]
    [TestCase("s3.localhost.localstack.cloud", "PUT", "/photos/a.txt", "s3", true)]
    [TestCase("s3-eu-west-1.amazonaws.com", "HEAD", "/photos/a.txt", "s3", false)]
    [TestCase("dynamodb.us-east-1.localhost.localstack.cloud", "POST", "/", "dynamodb", true)]
    [TestCase("sqs.us-east-1.localhost.localstack.cloud", "GET", "/", "sqs", false)]
    public async Task The_host_names_the_service(string host, string method, string path, string service, bool mutating)
    {
        var captured = await SendAsync(_withoutDefault, new HttpMethod(method), path, request => request.Headers.Host = host);

        Assert.That(captured.Resolved, Is.EqualTo(new ServiceRequest(service, mutating)));
    }

    [TestCase("GET", "/photos/a.txt", false)]
    [TestCase("HEAD", "/photos", false)]
    [TestCase("PUT", "/photos/a.txt", true)]
    [TestCase("DELETE", "/photos/a.txt", true)]
    [TestCase("POST", "/photos?delete", true)]
    public async Task Nothing_else_identifies_a_rest_request_so_the_default_service_takes_it(string method, string path, bool mutating)
    {
        var withDefault = await SendAsync(_withDefault, new HttpMethod(method), path, _ => { });
        var withoutDefault = await SendAsync(_withoutDefault, new HttpMethod(method), path, _ => { });

        Assert.That(withDefault.Resolved, Is.EqualTo(new ServiceRequest("s3", mutating)));
        Assert.That(withoutDefault.Resolved, Is.Null);
    }

    [TestCase("/_localstack/health")]
    [TestCase("/_localstack/state/s3/save")]
    [TestCase("/_aws/sqs/messages")]
    public async Task Localstack_internal_paths_belong_to_no_service(string path)
    {
        var captured = await SendAsync(_withDefault, HttpMethod.Post, path, request => request.Headers.TryAddWithoutValidation("X-Amz-Target", "AmazonSQS.SendMessage"));

        Assert.That(captured.Resolved, Is.Null);
    }

    [Test]
    public async Task A_multipart_form_is_not_read_for_an_action()
    {
        // An S3 browser upload: a form, but not the query protocol's. The upload stays unread for the handler.
        using var content = new MultipartFormDataContent
        {
            { new StringContent("ListQueues"), "Action" },
            { new StringContent("a.txt"), "key" },
            { new ByteArrayContent("file body"u8.ToArray()) { Headers = { ContentType = MediaTypeHeaderValue.Parse("text/plain") } }, "file", "a.txt" },
        };

        var captured = await SendAsync(_withDefault, HttpMethod.Post, "/photos", request => request.Content = content);

        Assert.That(captured.Resolved, Is.EqualTo(new ServiceRequest("s3", Mutating: true)));
        Assert.That(captured.BodyReadAfterwards, Does.Contain("file body"));
    }

    [TestCase("PUT", null)]
    [TestCase("POST", "aws-chunked")]
    public async Task An_upload_that_only_says_it_is_a_form_is_not_parsed(string method, string? contentEncoding)
    {
        // S3 PutObject with Content-Type application/x-www-form-urlencoded: the bytes are the object, not a form.
        const string body = "Action=ListQueues&this=is+an+object+body";
        var captured = await SendAsync(_withDefault, new HttpMethod(method), "/photos/form.txt", request =>
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded");
            if (contentEncoding is not null)
            {
                request.Content.Headers.ContentEncoding.Add(contentEncoding);
            }
        });

        Assert.That(captured.Resolved, Is.EqualTo(new ServiceRequest("s3", Mutating: true)), "read as the query protocol's ListQueues");
        Assert.That(captured.BodyReadAfterwards, Is.EqualTo(body));
    }

    [Test]
    public async Task A_form_over_the_limits_is_a_mutating_request_not_an_error()
    {
        // More fields than the form reader's default limit (1,024): unreadable as a form, so the safe answer is "mutating".
        var body = "Action=ListQueues&" + string.Join('&', Enumerable.Range(0, 1_100).Select(i => $"f{i}=v"));
        var captured = await SendAsync(_withDefault, HttpMethod.Post, "/", request =>
        {
            request.Headers.Host = "sqs.us-east-1.localhost.localstack.cloud";
            request.Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded");
        });

        Assert.That(captured.Resolved, Is.EqualTo(new ServiceRequest("sqs", Mutating: true)));
        Assert.That(captured.BodyReadAfterwards, Is.EqualTo(body));
    }

    private async Task<CapturedRequest> SendAsync(CaptureServer server, HttpMethod method, string path, Action<HttpRequestMessage> configure)
    {
        using var request = new HttpRequestMessage(method, new Uri(server.Address, path));
        configure(request);
        return await server.CaptureAsync(() => _http.SendAsync(request));
    }
}
