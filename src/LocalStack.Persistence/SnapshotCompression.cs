namespace LocalStack.Persistence;

/// <summary>How a snapshot payload is stored.</summary>
public enum SnapshotCompression
{
    /// <summary>The UTF-8 JSON payload is stored as is.</summary>
    None = 0,

    /// <summary>The payload is one LZ4 frame (K4os.Compression.LZ4).</summary>
    Lz4 = 1,
}
