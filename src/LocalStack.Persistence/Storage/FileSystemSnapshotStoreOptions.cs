using System.ComponentModel.DataAnnotations;

namespace LocalStack.Persistence.Storage;

/// <summary>
/// Where and how <see cref="FileSystemSnapshotStore"/> keeps snapshots. <see cref="SnapshotPersistenceOptions"/> derives
/// from it, so a host sets these settings in the same place as the strategies and the section binds them by the same names.
/// </summary>
public class FileSystemSnapshotStoreOptions
{
    /// <summary>The default of <see cref="StateDirectory"/>: <c>./volume/state</c>.</summary>
    public const string DefaultStateDirectory = "volume/state";

    /// <summary>The default of <see cref="MaxSnapshotBytes"/>: 4 GiB.</summary>
    public const long DefaultMaxSnapshotBytes = 4L * 1024 * 1024 * 1024;

    /// <summary>The state folder (LocalStack's <c>&lt;LOCALSTACK_VOLUME_DIR&gt;/state</c>); created if missing.</summary>
    /// <value>The default value is <see cref="DefaultStateDirectory"/>, relative to the current folder.</value>
    [Required]
    public string StateDirectory { get; set; } = DefaultStateDirectory;

    /// <summary>How snapshot payloads are stored.</summary>
    /// <value>The default value is <see cref="SnapshotCompression.Lz4"/>.</value>
    [EnumDataType(typeof(SnapshotCompression))]
    public SnapshotCompression Compression { get; set; } = SnapshotCompression.Lz4;

    /// <summary>
    /// The largest snapshot payload, compressed or not, that is written or read, in bytes; greater than zero. Larger
    /// length fields are treated as corruption before anything is allocated.
    /// </summary>
    /// <value>The default value is <see cref="DefaultMaxSnapshotBytes"/> (4 GiB).</value>
    [Range(1, long.MaxValue)]
    public long MaxSnapshotBytes { get; set; } = DefaultMaxSnapshotBytes;
}
