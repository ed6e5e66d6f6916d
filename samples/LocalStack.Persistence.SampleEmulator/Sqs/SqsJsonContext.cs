using System.Text.Json.Serialization;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

// The records of SqsStateProvider, and SqsStore for the JSON document of snapshots written before the state was keyed
// (the library's converter wraps SqsStore in LocalStack's account and region shape).
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SqsStore))]
[JsonSerializable(typeof(SqsQueueRecord))]
[JsonSerializable(typeof(SqsMessageRecord))]
[JsonSerializable(typeof(SqsDeduplicationRecord))]
internal sealed partial class SqsJsonContext : JsonSerializerContext;
