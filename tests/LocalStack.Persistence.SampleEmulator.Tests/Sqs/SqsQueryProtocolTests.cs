using System.Net;
using System.Xml.Linq;

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

    private async Task<(HttpStatusCode Status, XDocument Body)> QueryAsync(Dictionary<string, string> form)
    {
        using var http = new HttpClient { BaseAddress = new Uri(_emulator.ServiceUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new FormUrlEncodedContent(form) };

        // A SigV4 credential scope routes the request to SQS (the signature itself is not checked, as in LocalStack).
        request.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00");
        using var response = await http.SendAsync(request);
        return (response.StatusCode, XDocument.Parse(await response.Content.ReadAsStringAsync()));
    }
}
