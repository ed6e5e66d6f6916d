using System.Text;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.Tests.State;

/// <summary>Records every call (its own and its hooks') into a shared log; its state is one UTF-8 string.</summary>
internal sealed class RecordingProvider(string serviceName, List<string> log) : IServiceStateProvider, IStateLifecycleHook
{
    public string ServiceName => serviceName;

    public int SchemaVersion => 1;

    public string Value { get; set; } = "";

    /// <summary>Runs during the capture, after the state is taken (for example to stage assets).</summary>
    public Func<SnapshotContext, CancellationToken, ValueTask>? OnCapture { get; set; }

    /// <summary>Runs during the restore (for example to read assets).</summary>
    public Func<SnapshotContext, CancellationToken, ValueTask>? OnRestore { get; set; }

    /// <summary>When set, the write phase fails after writing part of the payload.</summary>
    public bool FailWrite { get; set; }

    /// <summary>When set, the write phase waits for it.</summary>
    public TaskCompletionSource? WriteGate { get; set; }

    public SnapshotContext? LastContext { get; private set; }

    public async ValueTask<IStateCapture> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken = default)
    {
        log.Add($"{serviceName}.capture");
        LastContext = context;
        var capture = new Capture(this, Value);
        if (OnCapture is not null)
        {
            await OnCapture(context, cancellationToken);
        }

        return capture;
    }

    public async ValueTask RestoreAsync(SnapshotPayload payload, SnapshotContext context, CancellationToken cancellationToken = default)
    {
        log.Add($"{serviceName}.restore");
        LastContext = context;
        using var reader = new StreamReader(payload.Content, Encoding.UTF8);
        var value = await reader.ReadToEndAsync(cancellationToken);
        if (OnRestore is not null)
        {
            await OnRestore(context, cancellationToken);
        }

        Value = value;
    }

    public ValueTask ResetAsync(SnapshotContext context, CancellationToken cancellationToken = default)
    {
        log.Add($"{serviceName}.reset");
        LastContext = context;
        Value = "";
        return ValueTask.CompletedTask;
    }

    public ValueTask OnBeforeSaveAsync(string name, CancellationToken cancellationToken) => Record("beforeSave", name);

    public ValueTask OnAfterSaveAsync(string name, CancellationToken cancellationToken) => Record("afterSave", name);

    public ValueTask OnBeforeLoadAsync(string name, CancellationToken cancellationToken) => Record("beforeLoad", name);

    public ValueTask OnAfterLoadAsync(string name, CancellationToken cancellationToken) => Record("afterLoad", name);

    public ValueTask OnBeforeResetAsync(string name, CancellationToken cancellationToken) => Record("beforeReset", name);

    public ValueTask OnAfterResetAsync(string name, CancellationToken cancellationToken) => Record("afterReset", name);

    private ValueTask Record(string what, string name)
    {
        log.Add($"{serviceName}.hook.{what}({name})");
        return ValueTask.CompletedTask;
    }

    private sealed class Capture(RecordingProvider owner, string value) : IStateCapture
    {
        public async ValueTask WriteToAsync(Stream destination, CancellationToken cancellationToken = default)
        {
            owner.Log("write");
            if (owner.WriteGate is { } gate)
            {
                await gate.Task.WaitAsync(cancellationToken);
            }

            await destination.WriteAsync(Encoding.UTF8.GetBytes(value), cancellationToken);
            if (owner.FailWrite)
            {
                throw new IOException("simulated failure in the middle of the payload");
            }
        }

        public ValueTask DisposeAsync()
        {
            owner.Log("captureDisposed");
            return ValueTask.CompletedTask;
        }
    }

    private void Log(string what) => log.Add($"{serviceName}.{what}");
}

/// <summary>A global hook that records its calls.</summary>
internal sealed class RecordingHook(string name, List<string> log) : IStateLifecycleHook
{
    public ValueTask OnBeforeSaveAsync(string serviceName, CancellationToken cancellationToken) => Record("beforeSave", serviceName);

    public ValueTask OnAfterSaveAsync(string serviceName, CancellationToken cancellationToken) => Record("afterSave", serviceName);

    public ValueTask OnBeforeLoadAsync(string serviceName, CancellationToken cancellationToken) => Record("beforeLoad", serviceName);

    public ValueTask OnAfterLoadAsync(string serviceName, CancellationToken cancellationToken) => Record("afterLoad", serviceName);

    public ValueTask OnBeforeResetAsync(string serviceName, CancellationToken cancellationToken) => Record("beforeReset", serviceName);

    public ValueTask OnAfterResetAsync(string serviceName, CancellationToken cancellationToken) => Record("afterReset", serviceName);

    private ValueTask Record(string what, string serviceName)
    {
        log.Add($"{name}.{what}({serviceName})");
        return ValueTask.CompletedTask;
    }
}
