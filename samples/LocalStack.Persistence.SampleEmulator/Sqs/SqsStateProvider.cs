using LocalStack.Persistence.State;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>
/// Saves and restores every queue, message and FIFO record in LocalStack's shape
/// <c>{"&lt;account&gt;":{"&lt;region&gt;":{"queues":{...}}}}</c>. Captures run under the service's exclusive gate, when no
/// request is mutating a queue (long polls wait outside the gate and touch no state there), so the live state is
/// serialized as it is.
/// </summary>
internal sealed class SqsStateProvider(SqsBackend backend)
    : AccountRegionStateProvider<SqsStore>(SqsModule.ServiceName, backend.Stores, SqsJsonContext.Default.SqsStore)
{
    protected override ValueTask RestoreAsync(AccountRegionStore<SqsStore> state, SnapshotContext context, CancellationToken cancellationToken)
    {
        // A payload that deserializes is not yet a state the handlers can serve: refuse it whole (the service is faulted).
        if (SqsStateValidator.FindProblem(state) is { } problem)
        {
            throw new SnapshotCorruptException(context.SnapshotLocation ?? $"{context.ServiceName} snapshot (generation {context.Generation})", problem + ".");
        }

        return base.RestoreAsync(state, context, cancellationToken);
    }

    // The queues of a replaced store are gone: their long polls must not wait for messages that cannot arrive.
    protected override void OnStoreDiscarded(AccountRegionEntry<SqsStore> entry) => SqsBackend.Retire(entry.Store);
}
