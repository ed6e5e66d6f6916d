using System.Text.Json.Serialization;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SqsStore))]
[JsonSerializable(typeof(AccountRegionStore<SqsStore>))]
internal sealed partial class SqsJsonContext : JsonSerializerContext;
