using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace LocalStack.Persistence.SampleEmulator.Tests.Sqs;

public sealed partial class SqsOperationsTests
{
    [Test]
    public async Task CreateQueue_is_idempotent_with_the_same_attributes_and_refuses_different_ones()
    {
        var name = UniqueName("idem");
        var first = await _sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = name, Attributes = new() { ["VisibilityTimeout"] = "45" } });
        var again = await _sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = name, Attributes = new() { ["VisibilityTimeout"] = "45" } });

        Assert.That(again.QueueUrl, Is.EqualTo(first.QueueUrl));
        Assert.That(first.QueueUrl, Is.EqualTo($"{_emulator.ServiceUrl}/000000000000/{name}"));
        var ex = await Assert.ThrowsAsync<QueueNameExistsException>(() => _sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = name, Attributes = new() { ["VisibilityTimeout"] = "46" } }));
        Assert.That(ex!.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task GetQueueUrl_ListQueues_with_a_prefix_and_DeleteQueue()
    {
        var prefix = UniqueName("list");
        var a = await _sqs.CreateQueueAsync(prefix + "-a");
        var b = await _sqs.CreateQueueAsync(prefix + "-b");
        await _sqs.CreateQueueAsync(UniqueName("other"));

        var url = await _sqs.GetQueueUrlAsync(prefix + "-b");
        var listed = await _sqs.ListQueuesAsync(new ListQueuesRequest { QueueNamePrefix = prefix });
        var firstPage = await _sqs.ListQueuesAsync(new ListQueuesRequest { QueueNamePrefix = prefix, MaxResults = 1 });
        var secondPage = await _sqs.ListQueuesAsync(new ListQueuesRequest { QueueNamePrefix = prefix, MaxResults = 1, NextToken = firstPage.NextToken });

        Assert.That(url.QueueUrl, Is.EqualTo(b.QueueUrl));
        Assert.That(listed.QueueUrls, Is.EqualTo(new[] { a.QueueUrl, b.QueueUrl }));
        Assert.That(firstPage.QueueUrls, Is.EqualTo(new[] { a.QueueUrl }));
        Assert.That(secondPage.QueueUrls, Is.EqualTo(new[] { b.QueueUrl }));
        Assert.That(secondPage.NextToken, Is.Null);

        await _sqs.DeleteQueueAsync(a.QueueUrl);
        await Assert.ThrowsAsync<QueueDoesNotExistException>(() => _sqs.GetQueueUrlAsync(prefix + "-a"));
        await Assert.ThrowsAsync<QueueDoesNotExistException>(() => _sqs.SendMessageAsync(a.QueueUrl, "lost"));
        var after = await _sqs.ListQueuesAsync(new ListQueuesRequest { QueueNamePrefix = prefix });
        Assert.That(after.QueueUrls, Is.EqualTo(new[] { b.QueueUrl }));
    }

    [Test]
    public async Task Queues_belong_to_the_account_of_the_access_key_and_to_the_region()
    {
        var name = UniqueName("acct");
        using var other = _emulator.CreateSqsClient("123456789012");
        using var otherRegion = _emulator.CreateSqsClient(region: "eu-west-1");
        var created = await other.CreateQueueAsync(name);

        Assert.That(created.QueueUrl, Does.EndWith($"/123456789012/{name}"));
        await Assert.ThrowsAsync<QueueDoesNotExistException>(() => _sqs.GetQueueUrlAsync(name));
        await Assert.ThrowsAsync<QueueDoesNotExistException>(() => otherRegion.GetQueueUrlAsync(new GetQueueUrlRequest { QueueName = name, QueueOwnerAWSAccountId = "123456789012" }));
        var byOwner = await _sqs.GetQueueUrlAsync(new GetQueueUrlRequest { QueueName = name, QueueOwnerAWSAccountId = "123456789012" });
        Assert.That(byOwner.QueueUrl, Is.EqualTo(created.QueueUrl));
        var attributes = await other.GetQueueAttributesAsync(created.QueueUrl, ["QueueArn"]);
        Assert.That(attributes.Attributes["QueueArn"], Is.EqualTo($"arn:aws:sqs:us-east-1:123456789012:{name}"));
    }

    [Test]
    public async Task GetQueueAttributes_reports_defaults_counts_and_timestamps_and_SetQueueAttributes_changes_them()
    {
        var url = await CreateQueueAsync("attrs", new() { ["DelaySeconds"] = "0", ["MaximumMessageSize"] = "2048" });
        await _sqs.SendMessageAsync(url, "one");
        await _sqs.SendMessageAsync(url, "two");
        await _sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = url, MessageBody = "later", DelaySeconds = 600 });
        Assert.That(await ReceiveAsync(url, max: 1), Has.Count.EqualTo(1));

        var all = await AttributesAsync(url);
        Assert.Multiple(() =>
        {
            Assert.That(all["ApproximateNumberOfMessages"], Is.EqualTo("1"));
            Assert.That(all["ApproximateNumberOfMessagesNotVisible"], Is.EqualTo("1"));
            Assert.That(all["ApproximateNumberOfMessagesDelayed"], Is.EqualTo("1"));
            Assert.That(all["VisibilityTimeout"], Is.EqualTo("30"));
            Assert.That(all["MaximumMessageSize"], Is.EqualTo("2048"));
            Assert.That(all["MessageRetentionPeriod"], Is.EqualTo("345600"));
            Assert.That(all["QueueArn"], Is.EqualTo("arn:aws:sqs:us-east-1:000000000000:" + url.Split('/')[^1]));
            Assert.That(long.Parse(all["CreatedTimestamp"], CultureInfo.InvariantCulture), Is.InRange(_emulator.ClockStart!.Value.ToUnixTimeSeconds(), _emulator.ClockUpperBound().ToUnixTimeSeconds()), "stamped by the emulator's clock");
            Assert.That(all, Does.Not.ContainKey("FifoQueue"));
        });

        await _sqs.SetQueueAttributesAsync(url, new() { ["VisibilityTimeout"] = "5", ["ReceiveMessageWaitTimeSeconds"] = "1" });
        var named = await AttributesAsync(url, "VisibilityTimeout", "ReceiveMessageWaitTimeSeconds");
        Assert.That(named, Is.EqualTo(new Dictionary<string, string> { ["VisibilityTimeout"] = "5", ["ReceiveMessageWaitTimeSeconds"] = "1" }));

        await Assert.ThrowsAsync<InvalidAttributeNameException>(() => _sqs.SetQueueAttributesAsync(url, new() { ["NoSuchAttribute"] = "1" }));
        await Assert.ThrowsAsync<InvalidAttributeValueException>(() => _sqs.SetQueueAttributesAsync(url, new() { ["VisibilityTimeout"] = "-1" }));
        var tooBig = await Assert.ThrowsAsync<AmazonSQSException>(() => _sqs.SendMessageAsync(url, new string('x', 3000)));
        Assert.That(tooBig!.ErrorCode, Is.EqualTo("InvalidParameterValue"));
    }

    [Test]
    public async Task Tags_are_set_listed_and_removed()
    {
        var url = await CreateQueueAsync("tags");
        await _sqs.TagQueueAsync(new TagQueueRequest { QueueUrl = url, Tags = new() { ["team"] = "a", ["env"] = "test" } });
        await _sqs.UntagQueueAsync(new UntagQueueRequest { QueueUrl = url, TagKeys = ["env"] });
        var tags = await _sqs.ListQueueTagsAsync(new ListQueueTagsRequest { QueueUrl = url });
        Assert.That(tags.Tags, Is.EqualTo(new Dictionary<string, string> { ["team"] = "a" }));
    }

    [Test]
    public async Task PurgeQueue_empties_the_queue_and_refuses_a_second_purge_within_60_seconds()
    {
        var url = await CreateQueueAsync("purge");
        await _sqs.SendMessageAsync(url, "a");
        await _sqs.SendMessageAsync(url, "b");
        Assert.That(await ReceiveAsync(url, max: 1), Has.Count.EqualTo(1));

        await _sqs.PurgeQueueAsync(url);

        var attributes = await AttributesAsync(url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible");
        Assert.That(attributes.Values, Is.All.EqualTo("0"));
        Assert.That(await ReceiveAsync(url), Is.Empty);
        await Assert.ThrowsAsync<PurgeQueueInProgressException>(() => _sqs.PurgeQueueAsync(url));
    }

    [Test]
    public async Task Operations_on_a_missing_queue_throw_QueueDoesNotExistException()
    {
        var url = $"{_emulator.ServiceUrl}/000000000000/{UniqueName("missing")}";
        await Assert.ThrowsAsync<QueueDoesNotExistException>(() => _sqs.SendMessageAsync(url, "x"));
        await Assert.ThrowsAsync<QueueDoesNotExistException>(() => _sqs.ReceiveMessageAsync(url));
        await Assert.ThrowsAsync<QueueDoesNotExistException>(() => _sqs.GetQueueAttributesAsync(url, ["All"]));
        await Assert.ThrowsAsync<QueueDoesNotExistException>(() => _sqs.PurgeQueueAsync(url));
    }
}
