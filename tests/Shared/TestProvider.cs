using System.Collections.Concurrent;
using System.Text;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.Tests.Coordination;

/// <summary>
/// A service whose state is a list of items, stored one per line. Counts its calls, records them in order, and lets a
/// test block or fail the capture, the write and the restore.
/// </summary>
internal sealed class TestProvider(string serviceName, int schemaVersion = 1, ConcurrentQueue<string>? events = null) : IServiceStateProvider
{
    private readonly Lock _sync = new();
    private readonly List<string> _items = [];
    private int _captures;
    private int _writes;
    private int _restores;
    private int _resets;
    private int _failRestores;

    public string ServiceName => serviceName;

    public int SchemaVersion => schemaVersion;

    /// <summary>Every call, in order ("capture", "write", "restore", "reset"), shared with the test when given.</summary>
    public ConcurrentQueue<string> Events { get; } = events ?? new ConcurrentQueue<string>();

    public int Captures => Volatile.Read(ref _captures);

    public int Writes => Volatile.Read(ref _writes);

    public int Restores => Volatile.Read(ref _restores);

    public int Resets => Volatile.Read(ref _resets);

    /// <summary>Runs inside the capture, under the service's exclusive gate.</summary>
    public Func<ValueTask>? OnCapture { get; set; }

    /// <summary>Runs at the start of the write phase, outside the gate.</summary>
    public Func<ValueTask>? OnWrite { get; set; }

    /// <summary>Holds the first write until <c>release</c> completes; <c>started</c> completes when that write begins.</summary>
    public (TaskCompletionSource Started, TaskCompletionSource Release) HoldFirstWrite()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        OnWrite = async () =>
        {
            if (Writes == 1)
            {
                started.TrySetResult();
                await release.Task;
            }
        };
        return (started, release);
    }

    /// <summary>Holds every write until <c>release</c> completes; <c>started</c> completes when the first one begins.</summary>
    public (TaskCompletionSource Started, TaskCompletionSource Release) HoldWrites()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        OnWrite = async () =>
        {
            started.TrySetResult();
            await release.Task;
        };
        return (started, release);
    }

    /// <summary>Runs at the start of the restore, under the exclusive gate.</summary>
    public Func<ValueTask>? OnRestore { get; set; }

    /// <summary>When set, the write fails after part of the payload.</summary>
    public bool FailWrite { get; set; }

    /// <summary>How many of the next restores fail with a transient <see cref="IOException"/>.</summary>
    public int FailRestores
    {
        get => Volatile.Read(ref _failRestores);
        set => Volatile.Write(ref _failRestores, value);
    }

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

    public void Add(string item)
    {
        lock (_sync)
        {
            _items.Add(item);
        }
    }

    public async ValueTask<IStateCapture> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _captures);
        Events.Enqueue($"{serviceName}.capture");
        var view = Items;
        if (OnCapture is { } onCapture)
        {
            await onCapture();
        }

        return new Capture(this, view);
    }

    public async ValueTask RestoreAsync(SnapshotPayload payload, SnapshotContext context, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _restores);
        Events.Enqueue($"{serviceName}.restore");
        if (OnRestore is { } onRestore)
        {
            await onRestore();
        }

        if (Interlocked.Decrement(ref _failRestores) >= 0)
        {
            throw new IOException($"simulated transient failure reading the snapshot of '{serviceName}'");
        }

        Interlocked.Exchange(ref _failRestores, 0);
        if (payload.SchemaVersion > SchemaVersion)
        {
            throw new SnapshotVersionException(payload.Metadata.Location, "schema", payload.SchemaVersion, SchemaVersion);
        }

        using var reader = new StreamReader(payload.Content, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(cancellationToken);
        lock (_sync)
        {
            _items.Clear();
            _items.AddRange(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
    }

    public ValueTask ResetAsync(SnapshotContext context, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _resets);
        Events.Enqueue($"{serviceName}.reset");
        lock (_sync)
        {
            _items.Clear();
        }

        return ValueTask.CompletedTask;
    }

    private sealed class Capture(TestProvider owner, string[] items) : IStateCapture
    {
        public async ValueTask WriteToAsync(Stream destination, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref owner._writes);
            owner.Events.Enqueue($"{owner.ServiceName}.write");
            if (owner.OnWrite is { } onWrite)
            {
                await onWrite();
            }

            await destination.WriteAsync(Encoding.UTF8.GetBytes(string.Join('\n', items)), cancellationToken);
            if (owner.FailWrite)
            {
                throw new IOException($"simulated failure writing the snapshot of '{owner.ServiceName}'");
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
