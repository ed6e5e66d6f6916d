namespace LocalStack.Persistence.SampleEmulator.Aws;

/// <summary>One emulated AWS service: answers every request the gateway routes to it.</summary>
internal interface IAwsServiceHandler
{
    /// <summary>The service's signing name, which is also its persisted service name (<c>s3</c>, <c>sqs</c>, <c>dynamodb</c>).</summary>
    string ServiceName { get; }

    Task HandleAsync(AwsRequestContext request);
}
