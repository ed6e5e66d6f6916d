namespace LocalStack.Persistence.State;

/// <summary>A stored snapshot being restored.</summary>
/// <param name="SchemaVersion">The schema version the payload was written with.</param>
/// <param name="Content">The uncompressed UTF-8 JSON payload; read it once.</param>
/// <param name="Metadata">The snapshot's header.</param>
public sealed record SnapshotPayload(int SchemaVersion, Stream Content, SnapshotMetadata Metadata);
