using System.Text.Json;
using System.Text.Json.Nodes;
using LocalStack.Persistence.SampleEmulator.Aws;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb;

/// <summary>
/// DynamoDB's JSON 1.0 protocol: <c>POST /</c> with <c>X-Amz-Target: DynamoDB_20120810.&lt;Operation&gt;</c>; each
/// operation runs with the database of the request's account and region to itself.
/// </summary>
internal sealed class DynamoDbHandler(DynamoDbStorage storage, TimeProvider timeProvider) : IAwsServiceHandler
{
    private const string ErrorNamespace = "com.amazonaws.dynamodb.v20120810#";

    private static readonly Dictionary<string, Func<DynamoDbDatabase, DynamoDbRequest, JsonObject>> Operations = new(StringComparer.Ordinal)
    {
        ["CreateTable"] = TableOperations.CreateTable,
        ["DescribeTable"] = TableOperations.DescribeTable,
        ["ListTables"] = TableOperations.ListTables,
        ["DeleteTable"] = TableOperations.DeleteTable,
        ["PutItem"] = ItemOperations.PutItem,
        ["GetItem"] = ItemOperations.GetItem,
        ["UpdateItem"] = ItemOperations.UpdateItem,
        ["DeleteItem"] = ItemOperations.DeleteItem,
        ["Query"] = QueryOperations.Query,
        ["Scan"] = QueryOperations.Scan,
        ["BatchWriteItem"] = BatchOperations.BatchWriteItem,
        ["BatchGetItem"] = BatchOperations.BatchGetItem,
        ["TransactWriteItems"] = TransactionOperations.TransactWriteItems,
        ["TransactGetItems"] = TransactionOperations.TransactGetItems,
    };

    public string ServiceName => DynamoDbModule.ServiceName;

    public async Task HandleAsync(AwsRequestContext request)
    {
        var http = request.Http;
        http.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        var name = AwsJsonProtocol.Operation(request.Request);
        if (name is null || !Operations.TryGetValue(name, out var operation))
        {
            await AwsJsonProtocol.WriteErrorAsync(http, StatusCodes.Status400BadRequest, "com.amazon.coral.service#UnknownOperationException", $"Operation '{name}' is not supported by this DynamoDB emulator.");
            return;
        }

        JsonObject body;
        try
        {
            body = await JsonNode.ParseAsync(request.Request.Body, cancellationToken: request.Aborted) as JsonObject
                ?? throw new JsonException("the request body is not a JSON object");
        }
        catch (JsonException e)
        {
            await AwsJsonProtocol.WriteErrorAsync(http, StatusCodes.Status400BadRequest, ErrorNamespace + "SerializationException", e.Message);
            return;
        }

        JsonObject result;
        try
        {
            var database = storage.Get(request.AccountId, request.Region);
            var dynamoRequest = new DynamoDbRequest(body, request.AccountId, request.Region, timeProvider.GetUtcNow());
            result = await database.RunAsync(db => operation(db, dynamoRequest), request.Aborted);
        }
        catch (DynamoDbException e) when (e.Details is not null)
        {
            var error = new JsonObject { ["__type"] = ErrorNamespace + e.Code, ["message"] = e.Message };
            foreach (var (member, value) in e.Details)
            {
                error[member] = value?.DeepClone();
            }

            await WriteAsync(http, e.StatusCode, error, request.Aborted);
            return;
        }
        catch (DynamoDbException e)
        {
            await AwsJsonProtocol.WriteErrorAsync(http, e.StatusCode, ErrorNamespace + e.Code, e.Message);
            return;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException or KeyNotFoundException)
        {
            // Malformed values (a number where a string belongs, bad base64): the client's fault, as DynamoDB sees it.
            await AwsJsonProtocol.WriteErrorAsync(http, StatusCodes.Status400BadRequest, ErrorNamespace + "ValidationException", e.Message);
            return;
        }

        await WriteAsync(http, StatusCodes.Status200OK, result, request.Aborted);
    }

    private static async Task WriteAsync(HttpContext http, int statusCode, JsonObject body, CancellationToken cancellationToken)
    {
        http.Response.StatusCode = statusCode;
        http.Response.ContentType = AwsJsonProtocol.ContentType;
        await using var writer = new Utf8JsonWriter(http.Response.Body);
        body.WriteTo(writer);
        await writer.FlushAsync(cancellationToken);
    }
}
