namespace LocalStack.Persistence.Storage;

/// <summary>What a snapshot about to be written describes.</summary>
/// <param name="ServiceName">The service; must satisfy <see cref="ServiceNameRules.IsValid"/>.</param>
/// <param name="SchemaVersion">The provider's schema version of the payload.</param>
/// <param name="Generation">The asset generation this snapshot commits; greater than zero.</param>
public sealed record SnapshotWriteRequest(string ServiceName, int SchemaVersion, long Generation);
