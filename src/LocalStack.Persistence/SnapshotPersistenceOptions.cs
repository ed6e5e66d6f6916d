using System.ComponentModel.DataAnnotations;
using LocalStack.Persistence.Configuration;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence;

/// <summary>
/// Options of snapshot persistence, bound from the <c>SnapshotPersistence</c> configuration section and from LocalStack's
/// variable names (<c>PERSISTENCE</c>, <c>SNAPSHOT_SAVE_STRATEGY</c>, <c>SNAPSHOT_LOAD_STRATEGY</c>,
/// <c>SNAPSHOT_FLUSH_INTERVAL</c>, <c>LOCALSTACK_VOLUME_DIR</c>); LocalStack's names win over the section.
/// Validated at start-up: a bad value stops the host with the setting's name, the value and the allowed values.
/// The store's settings (<see cref="FileSystemSnapshotStoreOptions.StateDirectory"/>, <see cref="FileSystemSnapshotStoreOptions.Compression"/>,
/// <see cref="FileSystemSnapshotStoreOptions.MaxSnapshotBytes"/>) are inherited: the built-in store is created from these options.
/// </summary>
public sealed class SnapshotPersistenceOptions : FileSystemSnapshotStoreOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "SnapshotPersistence";

    /// <summary>The default of <see cref="FlushInterval"/>: 15 seconds.</summary>
    public static readonly TimeSpan DefaultFlushInterval = TimeSpan.FromSeconds(15);

    /// <summary>Whether persistence is on (<c>PERSISTENCE=1</c>). When off, nothing is loaded or saved.</summary>
    /// <value>The default value is <see langword="false"/>, as in LocalStack.</value>
    public bool Enabled { get; set; }

    /// <summary>When services are saved.</summary>
    /// <value>The default value is <see cref="SnapshotSaveStrategy.Scheduled"/>.</value>
    [EnumDataType(typeof(SnapshotSaveStrategy))]
    public SnapshotSaveStrategy SaveStrategy { get; set; } = SnapshotSaveStrategy.Scheduled;

    /// <summary>When services are loaded.</summary>
    /// <value>The default value is <see cref="SnapshotLoadStrategy.OnRequest"/>.</value>
    [EnumDataType(typeof(SnapshotLoadStrategy))]
    public SnapshotLoadStrategy LoadStrategy { get; set; } = SnapshotLoadStrategy.OnRequest;

    /// <summary>How often the scheduled strategy saves modified services; from 1 millisecond to 1 day.</summary>
    /// <value>The default value is 15 seconds (<see cref="DefaultFlushInterval"/>).</value>
    [TimeSpanRange("00:00:00.001", "1.00:00:00")]
    public TimeSpan FlushInterval { get; set; } = DefaultFlushInterval;

    /// <summary>
    /// Group commit: how long a save waits, before its capture, for the callers the previous save of the service
    /// answered to come back with their next change, when that save covered more than one caller (PostgreSQL's
    /// <c>commit_delay</c>). It ends early once they have all joined. Under ON_REQUEST over a
    /// network a caller needs a round trip to come back, so without it each write covers only the callers that arrived
    /// during the previous one. From 0 (off) to 1 second.
    /// </summary>
    /// <value>The default value is <see cref="TimeSpan.Zero"/> (off).</value>
    [TimeSpanRange("00:00:00", "00:00:01")]
    public TimeSpan CommitDelay { get; set; }

    /// <summary>Read-only baseline mode: load per the load strategy, never save (a test suite starts from one known snapshot every time).</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool ReadOnly { get; set; }
}
