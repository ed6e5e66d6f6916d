using System.Text.Json.Serialization;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

// The state is an AccountRegionStore<SqsStore>; SqsStateProvider's base wraps SqsStore's metadata in LocalStack's shape.
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SqsStore))]
internal sealed partial class SqsJsonContext : JsonSerializerContext;
