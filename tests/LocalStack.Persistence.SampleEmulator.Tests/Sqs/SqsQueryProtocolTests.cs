using System.Net;
using System.Xml.Linq;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.Sqs;

/// <summary>The older query protocol (form in, XML out) that older SDKs and CLIs speak, sent by hand.</summary>
public sealed partial class SqsOperationsTests
{
    private static readonly XNamespace QueryNamespace = "http://queue.amazonaws.com/doc/2012-11-05/";

    [Test]
    public async Task The_query_protocol_creates_sends_receives_and_reports_attributes_in_XML()
    {
        var name = UniqueName("query");
        var (status, created) = await QueryAsync(new() { ["Action"] = "CreateQueue", ["QueueName"] = name, ["Attribute.1.Name"] = "VisibilityTimeout", ["Attribute.1.Value"] = "12" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), created.ToString());
        var url = created.Descendants(QueryNamespace + "QueueUrl").Single().Value;

        var (_, sent) = await QueryAsync(new()
        {
            ["Action"] = "SendMessage",
            ["QueueUrl"] = url,
            ["MessageBody"] = "from a form",
            ["MessageAttribute.1.Name"] = "color",
            ["MessageAttribute.1.Value.DataType"] = "String",
            ["MessageAttribute.1.Value.StringValue"] = "blue",
        });
        var (_, received) = await QueryAsync(new()
        {
            ["Action"] = "ReceiveMessage",
            ["QueueUrl"] = url,
            ["AttributeName.1"] = "All",
            ["MessageAttributeName.1"] = "All",
        });
        var (_, attributes) = await QueryAsync(new() { ["Action"] = "GetQueueAttributes", ["QueueUrl"] = url, ["AttributeName.1"] = "VisibilityTimeout" });

        var message = received.Descendants(QueryNamespace + "Message").Single();
        Assert.Multiple(() =>
        {
            Assert.That(message.Element(QueryNamespace + "Body")!.Value, Is.EqualTo("from a form"));
            Assert.That(message.Element(QueryNamespace + "MessageId")!.Value, Is.EqualTo(sent.Descendants(QueryNamespace + "MessageId").Single().Value));
            Assert.That(message.Element(QueryNamespace + "MD5OfMessageAttributes")!.Value, Is.EqualTo(sent.Descendants(QueryNamespace + "MD5OfMessageAttributes").Single().Value));
            var color = message.Elements(QueryNamespace + "MessageAttribute").Single();
            Assert.That(color.Element(QueryNamespace + "Name")!.Value, Is.EqualTo("color"));
            Assert.That(color.Element(QueryNamespace + "Value")!.Element(QueryNamespace + "StringValue")!.Value, Is.EqualTo("blue"));
            var receiveCount = message.Elements(QueryNamespace + "Attribute").Single(a => a.Element(QueryNamespace + "Name")!.Value == "ApproximateReceiveCount");
            Assert.That(receiveCount.Element(QueryNamespace + "Value")!.Value, Is.EqualTo("1"));
            var visibility = attributes.Descendants(QueryNamespace + "Attribute").Single();
            Assert.That(visibility.Element(QueryNamespace + "Value")!.Value, Is.EqualTo("12"));
        });
    }

    [Test]
    public async Task The_query_protocol_reports_errors_with_the_legacy_codes()
    {
        var (status, error) = await QueryAsync(new() { ["Action"] = "GetQueueUrl", ["QueueName"] = UniqueName("nope") });
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(error.Descendants(QueryNamespace + "Code").Single().Value, Is.EqualTo("AWS.SimpleQueueService.NonExistentQueue"));
        Assert.That(error.Descendants(QueryNamespace + "Type").Single().Value, Is.EqualTo("Sender"));
    }

    [Test]
    public async Task A_request_whose_query_string_and_form_name_different_actions_is_refused_and_creates_nothing_across_a_SIGKILL()
    {
        // Before: counted as the query string's ListQueues (a read, so no save under ON_REQUEST) but run as the form's
        // CreateQueue and answered 200; a SIGKILL then lost the acknowledged queue.
        using var volume = new TempDirectory();
        var onRequest = new Dictionary<string, string?> { ["SNAPSHOT_SAVE_STRATEGY"] = "ON_REQUEST" };
        await using (var before = await EmulatorProcess.StartAsync(volume.Path, onRequest))
        {
            var (status, error, queryError) = await QueryAsync(before.ServiceUrl, new() { ["Action"] = "CreateQueue", ["QueueName"] = "ambiguous" }, "/?Action=ListQueues");
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), error.ToString());
            Assert.That(error.Descendants(QueryNamespace + "Code").Single().Value, Is.EqualTo("InvalidParameterCombination"));
            Assert.That(error.Descendants(QueryNamespace + "Message").Single().Value, Does.Contain("the query string's Action 'ListQueues'").And.Contain("the form's Action 'CreateQueue'"));
            Assert.That(queryError, Is.EqualTo("InvalidParameterCombination;Sender"));

            // The same Action in both places is one operation: created, saved before the answer, so it survives the kill.
            (status, var created, _) = await QueryAsync(before.ServiceUrl, new() { ["Action"] = "CreateQueue", ["QueueName"] = "agreed" }, "/?Action=CreateQueue");
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), created.ToString());
            await before.KillAsync();
        }

        await using var after = await EmulatorProcess.StartAsync(volume.Path, onRequest);
        var (listed, queues, _) = await QueryAsync(after.ServiceUrl, new() { ["Action"] = "ListQueues" });
        Assert.That(listed, Is.EqualTo(HttpStatusCode.OK), queues.ToString());
        Assert.That(queues.Descendants(QueryNamespace + "QueueUrl").Select(u => u.Value.Split('/')[^1]), Is.EqualTo(new[] { "agreed" }));
    }

    [TestCase("/?Action=CreateQueue", "AmazonSQS.ListQueues")]
    [TestCase("/", "AmazonSQS.ListQueues, AmazonSQS.CreateQueue")]
    public async Task A_json_protocol_request_whose_target_disagrees_with_an_action_is_refused_with_the_json_error(string path, string target)
    {
        using var http = new HttpClient { BaseAddress = new Uri(_emulator.ServiceUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent($$"""{"QueueName":"{{UniqueName("json-ambiguous")}}"}""", System.Text.Encoding.UTF8, "application/x-amz-json-1.0"),
        };
        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        request.Headers.TryAddWithoutValidation("Authorization", SqsAuthorization);

        using var response = await http.SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
        Assert.That(body, Does.Contain("com.amazonaws.sqs#InvalidParameterCombination"));
        Assert.That(response.Headers.GetValues("x-amzn-query-error"), Is.EqualTo(new[] { "InvalidParameterCombination;Sender" }));
        Assert.That((await _sqs.ListQueuesAsync("json-ambiguous")).QueueUrls ?? [], Is.Empty);
    }

    // A SigV4 credential scope routes the request to SQS (the signature itself is not checked, as in LocalStack).
    private const string SqsAuthorization = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00";

    private async Task<(HttpStatusCode Status, XDocument Body)> QueryAsync(Dictionary<string, string> form)
    {
        var (status, body, _) = await QueryAsync(_emulator.ServiceUrl, form);
        return (status, body);
    }

    private static async Task<(HttpStatusCode Status, XDocument Body, string? QueryError)> QueryAsync(string serviceUrl, Dictionary<string, string> form, string path = "/")
    {
        using var http = new HttpClient { BaseAddress = new Uri(serviceUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.TryAddWithoutValidation("Authorization", SqsAuthorization);
        using var response = await http.SendAsync(request);
        var queryError = response.Headers.TryGetValues("x-amzn-query-error", out var values) ? values.Single() : null;
        return (response.StatusCode, XDocument.Parse(await response.Content.ReadAsStringAsync()), queryError);
    }
}
