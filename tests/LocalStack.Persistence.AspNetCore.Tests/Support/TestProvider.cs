using System.Text;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.AspNetCore.Tests.Support;

/// <summary>
/// A service whose state is a list of items, stored one per line. A test can hold or fail the write phase of a save
/// (outside the gate), which is how "a slow service" and "a failing save" are made.
/// </summary>
internal sealed class TestProvider(string serviceName, int schemaVersion = 1) : IServiceStateProvider
{
    private readonly Lock _sync = new();
    private readonly List<string> _items = [];
    private int _writes;

    public string ServiceName => serviceName;

    public int SchemaVersion => schemaVersion;

    public int Writes => Volatile.Read(ref _writes);

    /// <summary>Runs at the start of the write phase, outside the gate.</summary>
    public Func<ValueTask>? OnWrite { get; set; }

    /// <summary>When set, the write fails after part of the payload.</summary>
    public bool FailWrite { get; set; }

    /// <summary>When set, a restore fails with a transient <see cref="IOException"/> (not a corrupt snapshot).</summary>
    public bool FailRestore { get; set; }

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

    public ValueTask<IStateCapture> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken = default)
        => ValueTask.FromResult<IStateCapture>(new Capture(this, Items));

    public async ValueTask RestoreAsync(SnapshotPayload payload, SnapshotContext context, CancellationToken cancellationToken = default)
    {
        if (FailRestore)
        {
            throw new IOException($"simulated failure reading the snapshot of '{serviceName}'");
        }

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
