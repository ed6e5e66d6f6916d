using System.Text;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.Tests.Coordination;

/// <summary>How <see cref="StepwiseProvider"/> stops an operation at a step.</summary>
public enum StepFailure
{
    /// <summary>The provider throws an <see cref="IOException"/> at the step.</summary>
    Throw,

    /// <summary>The provider throws an <see cref="OperationCanceledException"/> of its own at the step.</summary>
    ProviderCancels,

    /// <summary>The caller's token is cancelled while the provider is at the step (a client that disconnects), then the provider goes on if its token allows.</summary>
    CallerCancels,
}

/// <summary>
/// A service of three items plus an asset (the items joined by commas, in its working folder and staged into each
/// generation). Restore and reset change the items one at a time with an await between them, then the asset, so an
/// operation stopped at a step leaves a mix; capture reads them the same way. A test chooses the operation, the step
/// (0 to <see cref="StepCount"/> - 1) and how it is stopped.
/// </summary>
internal sealed class StepwiseProvider(string serviceName, string workingDirectory) : IServiceStateProvider
{
    public const int StepCount = 4;

    private const string AssetName = "items.txt";
    private readonly Lock _sync = new();
    private readonly string _assetPath = Path.Combine(workingDirectory, AssetName);
    private string[] _items = [];
    private (string? Operation, int Step, StepFailure Failure, CancellationTokenSource? Caller) _failAt;
    private int _restores;

    public string ServiceName => serviceName;

    public int SchemaVersion => 1;

    public int Restores => Volatile.Read(ref _restores);

    /// <summary>When set, a restore refuses the snapshot's content at that step with a <see cref="SnapshotCorruptException"/>.</summary>
    public int? RefuseAt { get; set; }

    /// <summary>Runs at every step of every operation (after the failure check), for tests that hold an operation at a step.</summary>
    public Func<string, int, ValueTask>? OnStep { get; set; }

    public string[] Items
    {
        get
        {
            lock (_sync)
            {
                return [.. _items];
            }
        }
    }

    /// <summary>The live asset's content, or <see langword="null"/> when there is none.</summary>
    public string? WorkingAsset => File.Exists(_assetPath) ? File.ReadAllText(_assetPath) : null;

    /// <summary>Stops <paramref name="operation"/> ("capture", "restore", "reset"; <see langword="null"/>: none) at <paramref name="step"/>.</summary>
    public void FailAt(string? operation, int step, StepFailure failure, CancellationTokenSource? caller)
    {
        lock (_sync)
        {
            _failAt = (operation, step, failure, caller);
        }
    }

    /// <summary>Replaces the live state (a request's change).</summary>
    public void Set(string[] items)
    {
        lock (_sync)
        {
            _items = [.. items];
            Directory.CreateDirectory(workingDirectory);
            File.WriteAllText(_assetPath, string.Join(",", items));
        }
    }

    public async ValueTask<IStateCapture> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken = default)
    {
        var view = new List<string>();
        for (var step = 0; step < StepCount - 1; step++)
        {
            await StepAsync("capture", step, cancellationToken);
            if (Items is { } items && step < items.Length)
            {
                view.Add(items[step]);
            }
        }

        await StepAsync("capture", StepCount - 1, cancellationToken);
        var asset = WorkingAsset ?? string.Empty;
        await context.StageAsync(AssetName, async (path, ct) => await File.WriteAllTextAsync(path, asset, ct), cancellationToken);
        return new Capture(view);
    }

    public async ValueTask RestoreAsync(SnapshotPayload payload, SnapshotContext context, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _restores);
        using var reader = new StreamReader(payload.Content, Encoding.UTF8);
        var saved = (await reader.ReadToEndAsync(cancellationToken)).Split('\n');
        var source = context.GetAssetPath(AssetName) ?? throw new SnapshotCorruptException(context.SnapshotLocation!, "the asset is missing");
        for (var step = 0; step < StepCount - 1; step++)
        {
            await StepAsync("restore", step, cancellationToken);
            if (RefuseAt == step)
            {
                throw new SnapshotCorruptException(context.SnapshotLocation!, $"item {step} refused by the provider");
            }

            lock (_sync)
            {
                var items = _items.Length == saved.Length ? [.. _items] : new string[saved.Length];
                items[step] = saved[step];
                _items = items;
            }
        }

        await StepAsync("restore", StepCount - 1, cancellationToken);
        File.Copy(source, _assetPath, overwrite: true);
    }

    public async ValueTask ResetAsync(SnapshotContext context, CancellationToken cancellationToken = default)
    {
        for (var step = 0; step < StepCount - 1; step++)
        {
            await StepAsync("reset", step, cancellationToken);
            lock (_sync)
            {
                _items = [.. _items.Skip(1)];
            }
        }

        await StepAsync("reset", StepCount - 1, cancellationToken);
        File.Delete(_assetPath);
    }

    private async ValueTask StepAsync(string operation, int step, CancellationToken cancellationToken)
    {
        (string? Operation, int Step, StepFailure Failure, CancellationTokenSource? Caller) failAt;
        lock (_sync)
        {
            failAt = _failAt;
        }

        if (failAt.Operation == operation && failAt.Step == step)
        {
            switch (failAt.Failure)
            {
                case StepFailure.Throw:
                    throw new IOException($"simulated failure at {operation} step {step}");
                case StepFailure.ProviderCancels:
                    throw new OperationCanceledException($"the provider gave up at {operation} step {step}");
                default:
                    await failAt.Caller!.CancelAsync();
                    break;
            }
        }

        if (OnStep is { } onStep)
        {
            await onStep(operation, step);
        }

        // A provider that honours its token: it stops here only when the token it was given is cancelled.
        cancellationToken.ThrowIfCancellationRequested();
        await Task.Yield();
    }

    private sealed class Capture(List<string> items) : IStateCapture
    {
        public async ValueTask WriteToAsync(Stream destination, CancellationToken cancellationToken = default)
            => await destination.WriteAsync(Encoding.UTF8.GetBytes(string.Join('\n', items)), cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
