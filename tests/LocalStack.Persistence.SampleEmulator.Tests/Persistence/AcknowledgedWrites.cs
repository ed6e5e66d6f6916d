using System.Collections.Concurrent;

namespace LocalStack.Persistence.SampleEmulator.Tests.Persistence;

/// <summary>One write a load generator attempted: what was sent and, once the SDK call returned success, when.</summary>
internal abstract class AttemptedWrite(int round, string key)
{
    public int Round { get; } = round;

    public string Key { get; } = key;

    /// <summary>Monotonic time (the ledger's stopwatch) the SDK call returned success; null while unacknowledged.</summary>
    public TimeSpan? AcknowledgedAt { get; private set; }

    public bool Acknowledged => AcknowledgedAt is not null;

    public void Acknowledge(TimeSpan at) => AcknowledgedAt = at;
}

internal sealed class S3Write(int round, string bucket, string key, byte[] sha256, long length) : AttemptedWrite(round, key)
{
    public string Bucket { get; } = bucket;

    public byte[] Sha256 { get; } = sha256;

    public long Length { get; } = length;

    public string? ETag { get; set; }
}

internal sealed class SqsWrite(int round, string queueUrl, string body) : AttemptedWrite(round, body)
{
    public string QueueUrl { get; } = queueUrl;

    public string Body => Key;

    public string? MessageId { get; set; }
}

internal sealed class DynamoWrite(int round, string table, string key, long number, byte[] data) : AttemptedWrite(round, key)
{
    public string Table { get; } = table;

    public long Number { get; } = number;

    public byte[] Data { get; } = data;
}

/// <summary>
/// Every write attempted against the emulator, across rounds and restarts. A write counts as acknowledged only after its
/// SDK call returned success: those are the writes a crash must not lose.
/// </summary>
internal sealed class AcknowledgedWrites
{
    private readonly ConcurrentQueue<AttemptedWrite> _writes = new();
    private readonly ConcurrentQueue<string> _errors = new();

    public AcknowledgedWrites(System.Diagnostics.Stopwatch clock)
    {
        Clock = clock;
    }

    /// <summary>The monotonic clock of acknowledgement times (shared with the kill time).</summary>
    public System.Diagnostics.Stopwatch Clock { get; }

    public IEnumerable<AttemptedWrite> All => _writes;

    public IEnumerable<S3Write> S3 => _writes.OfType<S3Write>();

    public IEnumerable<SqsWrite> Sqs => _writes.OfType<SqsWrite>();

    public IEnumerable<DynamoWrite> Dynamo => _writes.OfType<DynamoWrite>();

    /// <summary>Failures of writes while the emulator was meant to be up (before the kill): each one is a test failure.</summary>
    public IReadOnlyCollection<string> UnexpectedErrors => _errors;

    public T Attempt<T>(T write)
        where T : AttemptedWrite
    {
        _writes.Enqueue(write);
        return write;
    }

    public void Acknowledge(AttemptedWrite write) => write.Acknowledge(Clock.Elapsed);

    public void UnexpectedError(string error) => _errors.Enqueue(error);

    public int AcknowledgedCount(int round) => _writes.Count(w => w.Round == round && w.Acknowledged);
}
