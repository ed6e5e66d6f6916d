using Microsoft.AspNetCore.Http;

namespace LocalStack.Persistence.AspNetCore.Aws;

/// <summary>
/// Resolves AWS API requests the way LocalStack's gateway does. The service comes from, in order: the SigV4 credential
/// scope (<c>Authorization</c> or presigned <c>X-Amz-Credential</c>), the <c>X-Amz-Target</c> prefix
/// (<c>DynamoDB_20120810</c> → <c>dynamodb</c>, <c>AmazonSQS</c> → <c>sqs</c>), the host
/// (<c>sqs.us-east-1.localhost.localstack.cloud</c>, <c>&lt;bucket&gt;.s3.…</c>), an SQS queue path
/// (<c>/&lt;12-digit account&gt;/&lt;queue&gt;</c>), and finally <see cref="DefaultServiceName"/>.
/// The operation comes from <c>X-Amz-Target</c> or the query protocol's <c>Action</c> (query string or form body), read
/// once by <see cref="AwsOperation.ReadAsync"/> and kept on the request for the handler; a request that names it more than
/// once, differently or twice (<see cref="AwsOperation.IsAmbiguous"/>), counts as mutating;
/// reads are operations named <c>List*</c>, <c>Get*</c>, <c>Describe*</c>, <c>Head*</c>, <c>Query</c>, <c>Scan</c>,
/// <c>BatchGet*</c>, <c>TransactGet*</c>, and, without an operation (REST services such as S3), <c>GET</c> and <c>HEAD</c>. Everything else
/// mutates: SQS <c>ReceiveMessage</c> changes visibility and receive counts.
/// Requests under <c>/_localstack</c> and <c>/_aws</c> belong to no service.
/// </summary>
public sealed class AwsServiceRequestResolver : IServiceRequestResolver
{
    private static readonly Dictionary<string, string> TargetPrefixes = new(StringComparer.Ordinal)
    {
        ["DynamoDB_20120810"] = "dynamodb",
        ["DynamoDBStreams_20120810"] = "dynamodbstreams",
        ["AmazonSQS"] = "sqs",
        ["AWSEvents"] = "events",
        ["Kinesis_20131202"] = "kinesis",
        ["secretsmanager"] = "secretsmanager",
        ["AmazonSSM"] = "ssm",
        ["TrentService"] = "kms",
        ["Logs_20140328"] = "logs",
        ["AWSStepFunctions"] = "stepfunctions",
    };

    private static readonly string[] ReadPrefixes = ["List", "Get", "Describe", "Head", "BatchGet", "TransactGet"];

    /// <summary>Creates a resolver.</summary>
    /// <param name="defaultServiceName">
    /// The service of requests nothing else identifies (an unsigned <c>curl</c> to a REST path), or <see langword="null"/>
    /// to leave them outside any service. LocalStack routes such requests to <c>s3</c>.
    /// </param>
    public AwsServiceRequestResolver(string? defaultServiceName = null)
    {
        if (defaultServiceName is not null)
        {
            ServiceNameRules.ThrowIfInvalid(defaultServiceName);
        }

        DefaultServiceName = defaultServiceName;
    }

    /// <summary>Gets the service of requests nothing else identifies, or <see langword="null"/>.</summary>
    public string? DefaultServiceName { get; }

    /// <inheritdoc />
    public async ValueTask<ServiceRequest?> ResolveAsync(HttpContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        if (request.Path.StartsWithSegments("/_localstack", StringComparison.Ordinal) || request.Path.StartsWithSegments("/_aws", StringComparison.Ordinal))
        {
            return null;
        }

        var target = request.Headers["X-Amz-Target"].ToString();
        var dot = target.IndexOf('.', StringComparison.Ordinal);
        var signedFor = AwsCredentialScope.FromRequest(request)?.Service;

        // Read once and kept on the context: the handler runs the operation this request is counted as.
        var operation = await AwsOperation.ReadAsync(context, cancellationToken).ConfigureAwait(false);

        var service = signedFor
            ?? (dot > 0 && TargetPrefixes.TryGetValue(target[..dot], out var fromTarget) ? fromTarget : null)
            ?? ServiceFromHost(request.Host.Host)
            ?? ServiceFromPath(request.Path)
            ?? DefaultServiceName;
        if (service is null || !ServiceNameRules.IsValid(service))
        {
            return null;
        }

        // An ambiguous request (its operation named twice, differently) may be run as either: count it as the write.
        return new ServiceRequest(service, operation.IsAmbiguous || IsMutating(request.Method, operation.Name));
    }

    /// <summary>Decides whether an operation mutates, by the rules in the class description.</summary>
    /// <param name="method">The HTTP method.</param>
    /// <param name="operation">The operation name, or <see langword="null"/> for a REST request.</param>
    /// <returns><see langword="true"/> when the request may change state.</returns>
    internal static bool IsMutating(string method, string? operation)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (string.IsNullOrEmpty(operation))
        {
            return !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method));
        }

        if (operation is "Query" or "Scan")
        {
            return false;
        }

        foreach (var prefix in ReadPrefixes)
        {
            // "Get" reads, "Getaway" is not an operation anyone sends; PascalCase keeps "Listen" rare enough to accept.
            if (operation.StartsWith(prefix, StringComparison.Ordinal) && (operation.Length == prefix.Length || char.IsUpper(operation[prefix.Length])))
            {
                return false;
            }
        }

        return true;
    }

    private static string? ServiceFromHost(string host)
    {
        // sqs.us-east-1.localhost.localstack.cloud, dynamodb.us-east-1.amazonaws.com, <bucket>.s3.amazonaws.com, <bucket>.s3.localhost.localstack.cloud
        var labels = host.Split('.');
        if (labels.Length < 2)
        {
            return null;
        }

        if (labels.Contains("s3", StringComparer.Ordinal) || labels[0].StartsWith("s3-", StringComparison.Ordinal))
        {
            return "s3";
        }

        return labels[0] is "sqs" or "dynamodb" or "kinesis" or "events" or "sns" or "lambda" or "kms" or "logs" or "ssm" or "secretsmanager"
            ? labels[0]
            : null;
    }

    private static string? ServiceFromPath(PathString path)
    {
        // SQS queue URLs: /<12-digit account>/<queue name>
        var value = path.Value.AsSpan().TrimStart('/');
        var slash = value.IndexOf('/');
        return slash == 12 && !value[..12].ContainsAnyExceptInRange('0', '9') && value.Length > 13 && value[13..].IndexOf('/') < 0
            ? "sqs"
            : null;
    }
}
