using System.ComponentModel.DataAnnotations;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Configuration;

/// <summary>
/// Options of snapshot persistence, bound from the <c>SnapshotPersistence</c> configuration section and from LocalStack's
/// variable names (<c>PERSISTENCE</c>, <c>SNAPSHOT_SAVE_STRATEGY</c>, <c>SNAPSHOT_LOAD_STRATEGY</c>,
/// <c>SNAPSHOT_FLUSH_INTERVAL</c>, <c>LOCALSTACK_VOLUME_DIR</c>); LocalStack's names win over the section.
/// Validated at start-up: a bad value stops the host with the setting's name, the value and the allowed values.
/// </summary>
public sealed class SnapshotPersistenceOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "SnapshotPersistence";

    /// <summary>The default of <see cref="FlushInterval"/>: 15 seconds.</summary>
    public static readonly TimeSpan DefaultFlushInterval = TimeSpan.FromSeconds(15);

    /// <summary>The default of <see cref="StateDirectory"/>: <c>./volume/state</c>.</summary>
    public const string DefaultStateDirectory = "volume/state";

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

    /// <summary>The state folder (<c>&lt;LOCALSTACK_VOLUME_DIR&gt;/state</c>).</summary>
    /// <value>The default value is <see cref="DefaultStateDirectory"/>, relative to the current folder.</value>
    [Required]
    public string StateDirectory { get; set; } = DefaultStateDirectory;

    /// <summary>How snapshot payloads are stored.</summary>
    /// <value>The default value is <see cref="SnapshotCodec.Lz4"/>.</value>
    [EnumDataType(typeof(SnapshotCodec))]
    public SnapshotCodec Compression { get; set; } = SnapshotCodec.Lz4;

    /// <summary>The largest snapshot payload written or read, in bytes; greater than zero.</summary>
    /// <value>The default value is <see cref="FileSystemSnapshotStoreOptions.DefaultMaxSnapshotBytes"/> (4 GiB).</value>
    [Range(1, long.MaxValue)]
    public long MaxSnapshotBytes { get; set; } = FileSystemSnapshotStoreOptions.DefaultMaxSnapshotBytes;

    /// <summary>Read-only baseline mode: load per the load strategy, never save (a test suite starts from one known snapshot every time).</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool ReadOnly { get; set; }
}
