using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.S3.Model;
using Amazon.SQS.Model;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.Persistence;

/// <summary>What one verification found: lost acknowledged writes, other problems, and at-least-once extras.</summary>
internal sealed class Findings
{
    /// <summary>Acknowledged writes (or the acknowledged bucket, queue, table of a round) missing or different (one line each: round, service, key).</summary>
    public List<string> Lost { get; } = [];

    /// <summary>Anything else wrong: a faulted service, a phantom write, a corrupt asset.</summary>
    public List<string> Problems { get; } = [];

    /// <summary>Writes in flight at the kill (never acknowledged) that are present after the restart.</summary>
    public int UnacknowledgedPresent { get; set; }

    /// <summary>The acknowledged writes found missing, with their write (for the scheduled test's timing).</summary>
    public List<AttemptedWrite> LostWrites { get; } = [];

    public void Lose(AttemptedWrite write, string what)
    {
        Lost.Add(string.Create(CultureInfo.InvariantCulture, $"round {write.Round}: {write.GetType().Name} '{write.Key}' {what}"));
        LostWrites.Add(write);
    }
}

/// <summary>
/// Checks a restarted emulator against the ledger through the real SDK clients. Rounds before <c>round</c> are checked
/// cheaply (S3 listing with ETags and sizes plus a few sampled downloads; SQS message counts; DynamoDB by one scan);
/// the round just killed is checked in full (every object downloaded and hashed, its queue received).
/// </summary>
internal sealed class AcknowledgedWritesVerifier(AcknowledgedWrites ledger, int seed)
{
    private const int SampledDownloadsPerOldRound = 2;
    private readonly Dictionary<int, int> _queueCounts = [];
    private readonly Random _sample = new(seed);

    public async Task<Findings> VerifyAsync(EmulatorProcess emulator, int round, CancellationToken cancellationToken)
    {
        var findings = new Findings();
        for (var r = 0; r <= round; r++)
        {
            await VerifyS3Async(emulator, r, full: r == round, findings, cancellationToken);
        }

        await VerifyDynamoAsync(emulator, round, findings, cancellationToken);
        for (var r = 0; r < round; r++)
        {
            await VerifyOldQueueAsync(emulator, r, findings, cancellationToken);
        }

        await VerifyQueueAsync(emulator, round, findings, cancellationToken);
        await VerifyStatusAsync(emulator, findings, cancellationToken);
        return findings;
    }

    /// <summary>Every service loaded (the checks above touched each) and none is faulted or reports an error.</summary>
    public static async Task VerifyStatusAsync(EmulatorProcess emulator, Findings findings, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = new Uri(emulator.ServiceUrl) };
        using var health = await http.GetAsync(new Uri("/_localstack/health", UriKind.Relative), cancellationToken);
        if (!health.IsSuccessStatusCode)
        {
            findings.Problems.Add($"/_localstack/health answered {(int)health.StatusCode}");
        }

        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri("/_localstack/state", UriKind.Relative), cancellationToken));
        foreach (var service in document.RootElement.GetProperty("services").EnumerateArray())
        {
            var faulted = service.GetProperty("faulted").GetBoolean();
            var error = service.TryGetProperty("lastError", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            if (faulted || error is not null)
            {
                findings.Problems.Add($"service {service.GetProperty("service").GetString()}: faulted {faulted}, last error: {error}");
            }
        }
    }

    private async Task VerifyS3Async(EmulatorProcess emulator, int round, bool full, Findings findings, CancellationToken cancellationToken)
    {
        var bucket = LoadGenerator.Bucket(round);
        var writes = ledger.S3.Where(w => w.Round == round).ToDictionary(w => w.Key, StringComparer.Ordinal);
        using var s3 = emulator.CreateS3Client();
        var listed = new Dictionary<string, S3Object>(StringComparer.Ordinal);
        try
        {
            var request = new ListObjectsV2Request { BucketName = bucket };
            ListObjectsV2Response page;
            do
            {
                page = await s3.ListObjectsV2Async(request, cancellationToken);
                foreach (var o in page.S3Objects ?? [])
                {
                    listed[o.Key] = o;
                }

                request.ContinuationToken = page.NextContinuationToken;
            }
            while (page.IsTruncated == true);
        }
        catch (AmazonServiceException e)
        {
            findings.Lost.Add($"round {round}: bucket {bucket} cannot be listed: {e.ErrorCode} {e.Message}");
        }

        foreach (var (key, o) in listed)
        {
            if (!writes.TryGetValue(key, out var write))
            {
                findings.Problems.Add($"round {round}: S3 object '{key}' was never written");
            }
            else if (!write.Acknowledged)
            {
                findings.UnacknowledgedPresent += full ? 1 : 0;
                if (o.Size != write.Length)
                {
                    findings.Problems.Add($"round {round}: unacknowledged S3 object '{key}' is present with {o.Size} bytes, {write.Length} were sent");
                }
            }
        }

        var acknowledged = writes.Values.Where(w => w.Acknowledged).ToList();
        foreach (var write in acknowledged)
        {
            if (!listed.TryGetValue(write.Key, out var o))
            {
                findings.Lose(write, "is missing");
            }
            else if (o.Size != write.Length || !string.Equals(o.ETag, write.ETag, StringComparison.Ordinal))
            {
                findings.Lose(write, $"has size {o.Size} and ETag {o.ETag}, acknowledged {write.Length} and {write.ETag}");
            }
        }

        var downloads = full
            ? writes.Values.Where(w => listed.ContainsKey(w.Key)).ToList()
            : [.. acknowledged.Where(w => listed.ContainsKey(w.Key)).OrderBy(_ => _sample.Next()).Take(SampledDownloadsPerOldRound)];
        foreach (var write in downloads)
        {
            using var response = await s3.GetObjectAsync(bucket, write.Key, cancellationToken);
            using var buffer = new MemoryStream();
            await response.ResponseStream.CopyToAsync(buffer, cancellationToken);
            if (!SHA256.HashData(buffer.ToArray()).AsSpan().SequenceEqual(write.Sha256))
            {
                var what = $"downloads {buffer.Length} bytes whose SHA-256 differs from the {write.Length} bytes written";
                if (write.Acknowledged)
                {
                    findings.Lose(write, what);
                }
                else
                {
                    findings.Problems.Add($"round {round}: unacknowledged S3 object '{write.Key}' {what}");
                }
            }
        }
    }

    private async Task VerifyDynamoAsync(EmulatorProcess emulator, int round, Findings findings, CancellationToken cancellationToken)
    {
        var items = new Dictionary<(string Pk, string Sk), Dictionary<string, AttributeValue>>();
        using var dynamo = emulator.CreateDynamoDbClient();
        try
        {
            var request = new ScanRequest { TableName = LoadGenerator.Table };
            ScanResponse page;
            do
            {
                page = await dynamo.ScanAsync(request, cancellationToken);
                foreach (var item in page.Items ?? [])
                {
                    items[(item["pk"].S, item["sk"].S)] = item;
                }

                request.ExclusiveStartKey = page.LastEvaluatedKey;
            }
            while (page.LastEvaluatedKey is { Count: > 0 });
        }
        catch (AmazonServiceException e)
        {
            findings.Lost.Add($"table {LoadGenerator.Table} cannot be scanned: {e.ErrorCode} {e.Message}");
        }

        var writes = ledger.Dynamo.Where(w => w.Round <= round).ToDictionary(w => (LoadGenerator.PartitionKey(w.Round), w.Key));
        foreach (var (key, item) in items)
        {
            if (!writes.TryGetValue(key, out var write))
            {
                findings.Problems.Add($"DynamoDB item {key} was never written");
                continue;
            }

            var equal = item.Count == 4
                && item.TryGetValue("n", out var n) && n.N == write.Number.ToString(CultureInfo.InvariantCulture)
                && item.TryGetValue("data", out var data) && data.B is not null && data.B.ToArray().AsSpan().SequenceEqual(write.Data);
            if (!write.Acknowledged)
            {
                findings.UnacknowledgedPresent += write.Round == round ? 1 : 0;
                if (!equal)
                {
                    findings.Problems.Add($"round {write.Round}: unacknowledged DynamoDB item '{write.Key}' is present with other attributes");
                }
            }
            else if (!equal)
            {
                findings.Lose(write, "is present with other attributes");
            }
        }

        foreach (var write in writes.Values.Where(w => w.Acknowledged && !items.ContainsKey((LoadGenerator.PartitionKey(w.Round), w.Key))))
        {
            findings.Lose(write, "is missing");
        }
    }

    /// <summary>Receives every message of the round's queue (hidden for 12 h, so later rounds can count them).</summary>
    private async Task VerifyQueueAsync(EmulatorProcess emulator, int round, Findings findings, CancellationToken cancellationToken)
    {
        var writes = ledger.Sqs.Where(w => w.Round == round).ToList();
        var byBody = writes.ToDictionary(w => w.Body, StringComparer.Ordinal);
        var received = new List<Message>();
        using var sqs = emulator.CreateSqsClient();
        try
        {
            var url = (await sqs.GetQueueUrlAsync(LoadGenerator.QueueName(round), cancellationToken)).QueueUrl;
            while (true)
            {
                var response = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url, MaxNumberOfMessages = 10, VisibilityTimeout = 43_200, WaitTimeSeconds = 0 }, cancellationToken);
                if (response.Messages is not { Count: > 0 })
                {
                    break;
                }

                received.AddRange(response.Messages);
            }
        }
        catch (AmazonServiceException e)
        {
            findings.Lost.Add($"round {round}: queue {LoadGenerator.QueueName(round)} cannot be received from: {e.ErrorCode} {e.Message}");
        }

        _queueCounts[round] = received.Count;
        var ids = received.ToLookup(m => m.MessageId, StringComparer.Ordinal);
        foreach (var message in received)
        {
            if (!byBody.TryGetValue(message.Body, out var write))
            {
                findings.Problems.Add($"round {round}: SQS message {message.MessageId} was never sent: '{message.Body}'");
            }
            else if (!write.Acknowledged)
            {
                findings.UnacknowledgedPresent++;
            }
        }

        foreach (var write in writes.Where(w => w.Acknowledged))
        {
            if (!ids[write.MessageId!].Any(m => string.Equals(m.Body, write.Body, StringComparison.Ordinal)))
            {
                findings.Lose(write, $"(MessageId {write.MessageId}) is missing");
            }
        }
    }

    /// <summary>An earlier round's queue still holds exactly the messages its verification received (now in flight).</summary>
    private async Task VerifyOldQueueAsync(EmulatorProcess emulator, int round, Findings findings, CancellationToken cancellationToken)
    {
        if (!_queueCounts.TryGetValue(round, out var expected))
        {
            return;
        }

        using var sqs = emulator.CreateSqsClient();
        try
        {
            var url = (await sqs.GetQueueUrlAsync(LoadGenerator.QueueName(round), cancellationToken)).QueueUrl;
            var attributes = await sqs.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"], cancellationToken);
            var count = attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible;
            if (count != expected)
            {
                findings.Lost.Add($"round {round}: queue {LoadGenerator.QueueName(round)} holds {count} messages, {expected} were received from it before");
            }
        }
        catch (AmazonServiceException e)
        {
            findings.Lost.Add($"round {round}: queue {LoadGenerator.QueueName(round)} is gone: {e.ErrorCode} {e.Message}");
        }
    }
}
