using System.Threading.Channels;
using LocalStack.Persistence.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LocalStack.Persistence.Tests.Hosting;

/// <summary>A custom save strategy that records what the host asked of it.</summary>
internal sealed class RecordingSaveStrategy : ISaveStrategy
{
    public string Name => "RECORDING";

    public ISnapshotManager? StoppedWith { get; private set; }

    public ValueTask OnMutationCompletedAsync(ISnapshotManager manager, string serviceName, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public Task RunAsync(ISnapshotManager manager, CancellationToken stoppingToken) => Task.CompletedTask;

    public ValueTask OnStoppedAsync(ISnapshotManager manager, CancellationToken cancellationToken)
    {
        StoppedWith = manager;
        return ValueTask.CompletedTask;
    }
}

/// <summary>A custom load strategy that records what the host asked of it.</summary>
internal sealed class RecordingLoadStrategy : ILoadStrategy
{
    public string Name => "RECORDING";

    public bool LoadsOnFirstRequest => false;

    public ISnapshotManager? StartedWith { get; private set; }

    public ValueTask OnStartingAsync(ISnapshotManager manager, CancellationToken cancellationToken)
    {
        StartedWith = manager;
        return ValueTask.CompletedTask;
    }
}

/// <summary>A save strategy whose final save never finishes on its own: it waits for the host's shutdown token.</summary>
internal sealed class HangingSaveStrategy : ISaveStrategy
{
    public string Name => "HANGING";

    public bool TokenCouldCancel { get; private set; }

    public bool Cancelled { get; private set; }

    public ValueTask OnMutationCompletedAsync(ISnapshotManager manager, string serviceName, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public Task RunAsync(ISnapshotManager manager, CancellationToken stoppingToken) => Task.CompletedTask;

    public async ValueTask OnStoppedAsync(ISnapshotManager manager, CancellationToken cancellationToken)
    {
        TokenCouldCancel = cancellationToken.CanBeCanceled;
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Cancelled = true;
            throw;
        }
    }
}

/// <summary>A save strategy whose background work fails at once.</summary>
internal sealed class FailingRunSaveStrategy : ISaveStrategy
{
    public const string FailureMessage = "simulated scheduler failure";

    public string Name => "FAILING_RUN";

    public bool FinalSaveRan { get; private set; }

    public ValueTask OnMutationCompletedAsync(ISnapshotManager manager, string serviceName, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public Task RunAsync(ISnapshotManager manager, CancellationToken stoppingToken) => throw new InvalidOperationException(FailureMessage);

    public ValueTask OnStoppedAsync(ISnapshotManager manager, CancellationToken cancellationToken)
    {
        FinalSaveRan = true;
        return ValueTask.CompletedTask;
    }
}

/// <summary>A load strategy whose start-up load fails.</summary>
internal sealed class FailingLoadStrategy : ILoadStrategy
{
    public const string FailureMessage = "simulated start-up load failure";

    public string Name => "FAILING_LOAD";

    public bool LoadsOnFirstRequest => false;

    public ValueTask OnStartingAsync(ISnapshotManager manager, CancellationToken cancellationToken)
        => throw new InvalidOperationException(FailureMessage);
}

/// <summary>A file-system store that counts writes; built by the container from the options.</summary>
internal sealed class CountingStore(IOptions<SnapshotPersistenceOptions> options) : ISnapshotStore, IDisposable
{
    private readonly FileSystemSnapshotStore _inner = new(new FileSystemSnapshotStoreOptions { StateDirectory = options.Value.StateDirectory });
    private int _writes;

    public int Writes => _writes;

    public async ValueTask<SnapshotMetadata> WriteAsync(SnapshotWriteRequest request, SnapshotPayloadWriter writePayload, CancellationToken cancellationToken = default)
    {
        var metadata = await _inner.WriteAsync(request, writePayload, cancellationToken);
        Interlocked.Increment(ref _writes);
        return metadata;
    }

    public ValueTask<SnapshotReader?> OpenReadAsync(string serviceName, CancellationToken cancellationToken = default) => _inner.OpenReadAsync(serviceName, cancellationToken);

    public ValueTask<SnapshotMetadata?> GetMetadataAsync(string serviceName, CancellationToken cancellationToken = default) => _inner.GetMetadataAsync(serviceName, cancellationToken);

    public ValueTask<bool> DeleteAsync(string serviceName, CancellationToken cancellationToken = default) => _inner.DeleteAsync(serviceName, cancellationToken);

    public IAsyncEnumerable<SnapshotMetadata> ListAsync(CancellationToken cancellationToken = default) => _inner.ListAsync(cancellationToken);

    public string GetWorkingDirectory(string serviceName) => _inner.GetWorkingDirectory(serviceName);

    public ValueTask<string> CreateAssetGenerationAsync(string serviceName, long generation, CancellationToken cancellationToken = default) => _inner.CreateAssetGenerationAsync(serviceName, generation, cancellationToken);

    public ValueTask FlushAssetGenerationAsync(string serviceName, long generation, CancellationToken cancellationToken = default) => _inner.FlushAssetGenerationAsync(serviceName, generation, cancellationToken);

    public string? GetAssetGenerationDirectory(string serviceName, long generation) => _inner.GetAssetGenerationDirectory(serviceName, generation);

    public ValueTask PruneAssetGenerationsAsync(string serviceName, long keepGeneration, CancellationToken cancellationToken = default) => _inner.PruneAssetGenerationsAsync(serviceName, keepGeneration, cancellationToken);

    public void Dispose() => _inner.Dispose();
}

/// <summary>A <see cref="FakeTimeProvider"/> that reports every timer created on it, so a test advances time only once a timer exists.</summary>
internal sealed class TimerSpyTimeProvider(FakeTimeProvider fake) : TimeProvider
{
    private readonly Channel<(TimeSpan DueTime, TimeSpan Period)> _timers = Channel.CreateUnbounded<(TimeSpan, TimeSpan)>();

    public FakeTimeProvider Fake => fake;

    public override DateTimeOffset GetUtcNow() => fake.GetUtcNow();

    public override long GetTimestamp() => fake.GetTimestamp();

    public override long TimestampFrequency => fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => fake.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = fake.CreateTimer(callback, state, dueTime, period);
        _timers.Writer.TryWrite((dueTime, period));
        return timer;
    }

    /// <summary>Waits until a timer that first fires after <paramref name="dueTime"/> has been created.</summary>
    public async Task WaitForTimerAsync(TimeSpan dueTime, CancellationToken cancellationToken)
    {
        await foreach (var timer in _timers.Reader.ReadAllAsync(cancellationToken))
        {
            if (timer.DueTime == dueTime)
            {
                return;
            }
        }
    }
}
