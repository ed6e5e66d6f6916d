using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>
/// Saves and restores every queue, message and FIFO record in LocalStack's shape
/// <c>{"&lt;account&gt;":{"&lt;region&gt;":{"queues":{...}}}}</c>. Captures run under the service's exclusive gate, when no
/// request is mutating a queue (long polls wait outside the gate and touch no state there), so the live state is
/// serialized as it is.
/// </summary>
internal sealed class SqsStateProvider(SqsBackend backend) : JsonServiceStateProvider<AccountRegionStore<SqsStore>>(SqsModule.ServiceName, StateTypeInfo)
{
    private static JsonTypeInfo<AccountRegionStore<SqsStore>> StateTypeInfo { get; } = CreateTypeInfo();

    protected override AccountRegionStore<SqsStore> Capture() => backend.Stores;

    protected override void Restore(AccountRegionStore<SqsStore> state) => backend.Replace(state);

    protected override void Reset() => backend.Replace(null);

    protected override ValueTask RestoreStateAsync(AccountRegionStore<SqsStore> state, SnapshotContext context, CancellationToken cancellationToken)
    {
        // A payload that deserializes is not yet a state the handlers can serve: refuse it whole (the service is faulted).
        if (SqsStateValidator.FindProblem(state) is { } problem)
        {
            throw new SnapshotCorruptException(context.SnapshotLocation ?? $"{context.ServiceName} snapshot (generation {context.Generation})", problem + ".");
        }

        Restore(state);
        return ValueTask.CompletedTask;
    }

    private static JsonTypeInfo<AccountRegionStore<SqsStore>> CreateTypeInfo()
    {
        var options = new JsonSerializerOptions(SqsJsonContext.Default.Options)
        {
            Converters = { new AccountRegionStoreJsonConverter<SqsStore>((_, _) => new SqsStore(), SqsJsonContext.Default.SqsStore) },
        };
        return (JsonTypeInfo<AccountRegionStore<SqsStore>>)options.GetTypeInfo(typeof(AccountRegionStore<SqsStore>));
    }
}
