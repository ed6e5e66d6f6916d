using System.Text;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.Tests.Hosting;

/// <summary>A service whose state is one UTF-8 string; signals each committed save through its after-save hook.</summary>
internal abstract class TextState(string serviceName) : IServiceStateProvider, IStateLifecycleHook
{
    private volatile string _value = "";
    private volatile TaskCompletionSource _saved = NewSignal();

    public string ServiceName => serviceName;

    public int SchemaVersion => 1;

    public string Value
    {
        get => _value;
        set => _value = value;
    }

    /// <summary>Completes when the next save of this service is committed (re-armed by <see cref="ArmSaved"/>).</summary>
    public Task Saved => _saved.Task;

    public void ArmSaved() => _saved = NewSignal();

    public virtual ValueTask<IStateCapture> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken = default)
        => ValueTask.FromResult<IStateCapture>(new Capture(Value));

    public async ValueTask RestoreAsync(SnapshotPayload payload, SnapshotContext context, CancellationToken cancellationToken = default)
    {
        using var reader = new StreamReader(payload.Content, Encoding.UTF8);
        Value = await reader.ReadToEndAsync(cancellationToken);
    }

    public ValueTask ResetAsync(SnapshotContext context, CancellationToken cancellationToken = default)
    {
        Value = "";
        return ValueTask.CompletedTask;
    }

    public ValueTask OnAfterSaveAsync(string name, CancellationToken cancellationToken)
    {
        _saved.TrySetResult();
        return ValueTask.CompletedTask;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Capture(string value) : IStateCapture
    {
        public async ValueTask WriteToAsync(Stream destination, CancellationToken cancellationToken = default)
            => await destination.WriteAsync(Encoding.UTF8.GetBytes(value), cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

internal sealed class AlphaState() : TextState("alpha");

internal sealed class BetaState() : TextState("beta");

/// <summary>A service whose every capture fails, as a provider with a bug or a full staging disk would.</summary>
internal sealed class FailingState() : TextState("failing")
{
    public const string FailureMessage = "simulated capture failure";

    public override ValueTask<IStateCapture> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken = default)
        => throw new IOException(FailureMessage);
}
