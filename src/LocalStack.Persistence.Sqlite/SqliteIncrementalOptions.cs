namespace LocalStack.Persistence.Sqlite;

/// <summary>The bounds of <see cref="SqliteIncrementalDatabase"/>: when the WAL is checkpointed, when segments are folded.</summary>
public sealed class SqliteIncrementalOptions
{
    /// <summary>The default of <see cref="CheckpointWalBytes"/>: 4 MiB.</summary>
    public const long DefaultCheckpointWalBytes = 4L * 1024 * 1024;

    /// <summary>The default of <see cref="FoldSegmentCount"/>: 64.</summary>
    public const int DefaultFoldSegmentCount = 64;

    /// <summary>The default of <see cref="FoldSegmentPercent"/>: 25.</summary>
    public const int DefaultFoldSegmentPercent = 25;

    /// <summary>
    /// After a save has shipped the WAL, the WAL is checkpointed (its pages written into the database file, the WAL
    /// truncated) when it is larger than this, so that it stays small and the next save ships from a new WAL.
    /// </summary>
    /// <value>The default value is <see cref="DefaultCheckpointWalBytes"/>.</value>
    public long CheckpointWalBytes { get; set; } = DefaultCheckpointWalBytes;

    /// <summary>Segments are folded into a new base (in the background, outside the service's gate) when there are this many.</summary>
    /// <value>The default value is <see cref="DefaultFoldSegmentCount"/>.</value>
    public int FoldSegmentCount { get; set; } = DefaultFoldSegmentCount;

    /// <summary>Segments are folded into a new base when their bytes pass this percentage of the base's.</summary>
    /// <value>The default value is <see cref="DefaultFoldSegmentPercent"/>.</value>
    public int FoldSegmentPercent { get; set; } = DefaultFoldSegmentPercent;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(CheckpointWalBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(FoldSegmentCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(FoldSegmentPercent, 1);
    }
}
