// README's SqsState (section "Using the core"), for the README blocks that use it without showing it again.
using System.Text.Json.Serialization;
using LocalStack.Persistence.State;

sealed class SqsState() : JsonServiceStateProvider<SqsModel>("sqs", SqsJson.Default.SqsModel, schemaVersion: 1)
{
    public Dictionary<string, List<string>> Queues { get; } = new();
    protected override SqsModel Capture() => new(Queues.ToDictionary(q => q.Key, q => q.Value.ToList()));
    protected override void Restore(SqsModel state) { Queues.Clear(); foreach (var q in state.Queues) Queues[q.Key] = q.Value; }
    protected override void Reset() => Queues.Clear();
}
sealed record SqsModel(Dictionary<string, List<string>> Queues);
[JsonSerializable(typeof(SqsModel))] sealed partial class SqsJson : JsonSerializerContext;
