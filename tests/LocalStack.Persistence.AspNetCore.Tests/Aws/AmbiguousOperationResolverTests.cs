using System.Text;
using LocalStack.Persistence.AspNetCore.Aws;
using LocalStack.Persistence.AspNetCore.Tests.Support;

namespace LocalStack.Persistence.AspNetCore.Tests.Aws;

/// <summary>
/// What a request does and what it is counted as must agree: the operation is read once (<see cref="AwsOperation"/>), and
/// a request that names it more than once, differently or twice, counts as mutating and is marked ambiguous for the
/// handler to refuse.
/// </summary>
public sealed class AmbiguousOperationResolverTests : IDisposable
{
    private const string SqsHost = "sqs.us-east-1.localhost.localstack.cloud";
    private CaptureServer _server = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _server = await CaptureServer.StartAsync(new AwsServiceRequestResolver("s3"));
        _http = new HttpClient { Timeout = TestHost.Patience };
    }

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    public void Dispose() => _http?.Dispose();

    [Test]
    public async Task A_query_string_read_with_a_form_write_counts_as_mutating_and_is_ambiguous()
    {
        // Before: counted as the query string's ListQueues (a read: no save) while a handler that lets the form win ran CreateQueue.
        var captured = await SendAsync("/?Action=ListQueues", form: "Action=CreateQueue&QueueName=q2");

        Assert.That(captured.Resolved, Is.EqualTo(new ServiceRequest("sqs", Mutating: true)));
        Assert.That(captured.Operation!.IsAmbiguous, Is.True);
        Assert.That(captured.Operation.Name, Is.Null, "no single operation to run");
        Assert.That(captured.Operation.Ambiguity, Does.Contain("the query string's Action 'ListQueues'").And.Contain("the form's Action 'CreateQueue'"));
        Assert.That(captured.BodyReadAfterwards, Is.EqualTo("Action=CreateQueue&QueueName=q2"), "the form stays readable");
    }

    [TestCase("/", "Action=ListQueues&Action=CreateQueue&QueueName=q2")]
    [TestCase("/", "Action=ListQueues&Action=ListQueues")]
    [TestCase("/?Action=ListQueues&Action=CreateQueue", null)]
    [TestCase("/?Action=ListQueues&Action=ListQueues", null)]
    public async Task An_action_given_twice_in_one_place_is_ambiguous_even_when_both_agree(string path, string? form)
    {
        // Readers of a repeated field differ (join with ',', first, last): "ListQueues,CreateQueue" was counted as a List* read.
        var captured = await SendAsync(path, form);

        Assert.That(captured.Resolved, Is.EqualTo(new ServiceRequest("sqs", Mutating: true)));
        Assert.That(captured.Operation!.IsAmbiguous, Is.True);
    }

    [TestCase("CreateQueue", true)]
    [TestCase("ListQueues", false)]
    public async Task The_same_action_in_the_query_string_and_the_form_is_one_operation(string action, bool mutating)
    {
        var captured = await SendAsync($"/?Action={action}", form: $"Action={action}&QueueName=q2");

        Assert.That(captured.Resolved, Is.EqualTo(new ServiceRequest("sqs", mutating)));
        Assert.That(captured.Operation!.IsAmbiguous, Is.False);
        Assert.That(captured.Operation.Name, Is.EqualTo(action));
    }

    [TestCase("/?Action=CreateQueue", null)]
    [TestCase("/", "Action=CreateQueue&QueueName=q2")]
    public async Task An_x_amz_target_that_differs_from_an_action_is_ambiguous(string path, string? form)
    {
        // Before: the target's ListQueues won (a read) though a query-protocol reader of the same request creates a queue.
        var captured = await SendAsync(path, form, target: "AmazonSQS.ListQueues");

        Assert.That(captured.Resolved, Is.EqualTo(new ServiceRequest("sqs", Mutating: true)));
        Assert.That(captured.Operation!.Ambiguity, Does.Contain("X-Amz-Target 'AmazonSQS.ListQueues'").And.Contain("Action 'CreateQueue'"));
    }

    [Test]
    public async Task Two_x_amz_target_headers_are_ambiguous()
    {
        var captured = await SendAsync("/", form: null, target: "AmazonSQS.ListQueues", secondTarget: "AmazonSQS.CreateQueue");

        Assert.That(captured.Resolved, Is.EqualTo(new ServiceRequest("sqs", Mutating: true)));
        Assert.That(captured.Operation!.IsAmbiguous, Is.True);
    }

    [Test]
    public async Task An_x_amz_target_and_the_same_action_agree()
    {
        var captured = await SendAsync("/?Action=ListQueues", form: null, target: "AmazonSQS.ListQueues");

        Assert.That(captured.Resolved, Is.EqualTo(new ServiceRequest("sqs", Mutating: false)));
        Assert.That(captured.Operation!.Name, Is.EqualTo("ListQueues"));
    }

    [Test]
    public async Task The_handler_gets_the_operation_the_resolver_read_without_parsing_again()
    {
        var captured = await SendAsync("/", form: "Action=SendMessage&MessageBody=x");

        Assert.That(captured.OperationReadOnce, Is.True);
        Assert.That(captured.Operation!.Name, Is.EqualTo("SendMessage"));
    }

    [Test]
    public async Task A_long_quoted_value_is_cut_in_the_message()
    {
        var captured = await SendAsync("/?Action=ListQueues", form: "Action=" + new string('C', 5_000));

        Assert.That(captured.Operation!.Ambiguity, Has.Length.LessThan(400));
    }

    private async Task<CapturedRequest> SendAsync(string path, string? form, string? target = null, string? secondTarget = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_server.Address, path));
        request.Headers.Host = SqsHost;
        if (target is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        }

        if (secondTarget is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Target", secondTarget);
        }

        request.Content = form is null
            ? new StringContent("{}", Encoding.UTF8, "application/x-amz-json-1.0")
            : new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded");
        return await _server.CaptureAsync(() => _http.SendAsync(request));
    }
}
