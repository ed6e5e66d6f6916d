using System.Buffers;
using System.Text.Json;
using LocalStack.Persistence.AspNetCore.Aws;
using LocalStack.Persistence.SampleEmulator.Aws;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>
/// SQS over the JSON protocol of the current SDKs (and, translated by <see cref="SqsQueryProtocol"/>, the older query protocol): <c>POST /</c>, <c>X-Amz-Target: AmazonSQS.&lt;Operation&gt;</c>, JSON
/// body and answer; errors as <c>{"__type":"com.amazonaws.sqs#&lt;Code&gt;"}</c> plus the query protocol's code in
/// <c>x-amzn-query-error</c>. Queues are per account (from the queue URL, else the credentials) and region.
/// </summary>
internal sealed partial class SqsHandler(SqsBackend backend) : IAwsServiceHandler
{
    private const string ErrorNamespace = "com.amazonaws.sqs#";

    public string ServiceName => SqsModule.ServiceName;

    private TimeProvider Time => backend.Time;

    private SqsChanges Changes => backend.Changes;

    public async Task HandleAsync(AwsRequestContext request)
    {
        var query = AwsJsonProtocol.Operation(request.Request) is null && SqsQueryProtocol.IsQueryRequest(request.Request);
        var output = new ArrayBufferWriter<byte>();
        request.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        string? operation = null;
        try
        {
            // The operation the persistence middleware counted this request as (read once, kept on the request): a
            // request that names two operations is refused rather than run as one and counted as the other.
            var named = await AwsOperation.ReadAsync(request.Http, request.Aborted);
            if (named.IsAmbiguous)
            {
                throw SqsException.AmbiguousOperation(named.Ambiguity!);
            }

            operation = named.Name;
            var document = query ? await SqsQueryProtocol.ReadAsync(request) : await ReadBodyAsync(request);

            using (document)
            {
                var call = new SqsCall(request, new SqsJsonRequest(document.RootElement));
                await using var json = new Utf8JsonWriter(output);
                json.WriteStartObject();
                await DispatchAsync(operation, call, json);
                json.WriteEndObject();
            }
        }
        catch (SqsException e)
        {
            await (query
                ? SqsQueryProtocol.WriteErrorAsync(request.Http, e)
                : AwsJsonProtocol.WriteErrorAsync(request.Http, e.StatusCode, ErrorNamespace + e.Code, e.Message, e.QueryCode));
            return;
        }
        catch (OperationCanceledException) when (request.Aborted.IsCancellationRequested)
        {
            // The client went away (during a long poll): nobody to answer.
            return;
        }

        if (query)
        {
            await SqsQueryProtocol.WriteResponseAsync(request.Http, operation!, output.WrittenMemory);
            return;
        }

        request.Response.StatusCode = StatusCodes.Status200OK;
        request.Response.ContentType = AwsJsonProtocol.ContentType;
        request.Response.ContentLength = output.WrittenCount;
        await request.Response.Body.WriteAsync(output.WrittenMemory, request.Aborted);
    }

    private Task DispatchAsync(string? operation, SqsCall call, Utf8JsonWriter json)
    {
        switch (operation)
        {
            case "CreateQueue": CreateQueue(call, json); break;
            case "GetQueueUrl": GetQueueUrl(call, json); break;
            case "ListQueues": ListQueues(call, json); break;
            case "DeleteQueue": DeleteQueue(call); break;
            case "GetQueueAttributes": GetQueueAttributes(call, json); break;
            case "SetQueueAttributes": SetQueueAttributes(call); break;
            case "TagQueue": TagQueue(call); break;
            case "UntagQueue": UntagQueue(call); break;
            case "ListQueueTags": ListQueueTags(call, json); break;
            case "ListDeadLetterSourceQueues": ListDeadLetterSourceQueues(call, json); break;
            case "SendMessage": SendMessage(call, json); break;
            case "SendMessageBatch": SendMessageBatch(call, json); break;
            case "ReceiveMessage": return ReceiveMessageAsync(call, json);
            case "DeleteMessage": DeleteMessage(call); break;
            case "DeleteMessageBatch": DeleteMessageBatch(call, json); break;
            case "ChangeMessageVisibility": ChangeMessageVisibility(call); break;
            case "ChangeMessageVisibilityBatch": ChangeMessageVisibilityBatch(call, json); break;
            case "PurgeQueue": PurgeQueue(call); break;
            default: throw SqsException.InvalidAction(operation);
        }

        return Task.CompletedTask;
    }

    private static async Task<JsonDocument> ReadBodyAsync(AwsRequestContext request)
    {
        try
        {
            using var buffer = new MemoryStream();
            await request.Request.Body.CopyToAsync(buffer, request.Aborted);
            return buffer.Length == 0 ? JsonDocument.Parse("{}") : JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
        }
        catch (JsonException)
        {
            throw new SqsException("SerializationException", "The request body is not valid JSON.");
        }
    }

    /// <summary>The queue named by the request's <c>QueueUrl</c> (<c>http://host/&lt;account&gt;/&lt;name&gt;</c>).</summary>
    private SqsQueue Queue(SqsCall call)
    {
        var url = call.Body.RequiredString("QueueUrl");
        var (account, name) = ParseQueueUrl(url, call.Context.AccountId);
        return backend.GetQueue(account, call.Context.Region, name);
    }

    internal static (string AccountId, string Name) ParseQueueUrl(string url, string defaultAccountId)
    {
        var path = Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.AbsolutePath : url;
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length >= 2 && AccountRegionNames.IsValidAccountId(segments[^2]))
        {
            return (segments[^2], segments[^1]);
        }

        // A bare queue name, as some clients send.
        return segments.Length == 1 && uri is null ? (defaultAccountId, segments[0]) : throw SqsException.InvalidAddress(url);
    }

    private static string QueueUrl(SqsCall call, SqsQueue queue)
        => $"{call.Context.Request.Scheme}://{call.Context.Request.Host}/{queue.AccountId}/{queue.Name}";

    private static void WriteStringMap(Utf8JsonWriter json, string name, IEnumerable<KeyValuePair<string, string>> map)
    {
        json.WriteStartObject(name);
        foreach (var (key, value) in map)
        {
            json.WriteString(key, value);
        }

        json.WriteEndObject();
    }

    /// <summary>The request and its parsed body.</summary>
    private readonly record struct SqsCall(AwsRequestContext Context, SqsJsonRequest Body);
}
