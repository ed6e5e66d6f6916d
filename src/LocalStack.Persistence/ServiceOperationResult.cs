namespace LocalStack.Persistence;

/// <summary>The outcome of a save, load or reset of one service in an all-service call.</summary>
/// <param name="ServiceName">The service.</param>
/// <param name="Operation">What was done.</param>
/// <param name="Error">The failure, or <see langword="null"/> on success.</param>
public sealed record ServiceOperationResult(string ServiceName, SnapshotOperation Operation, Exception? Error)
{
    /// <summary>Whether the operation succeeded.</summary>
    public bool Succeeded => Error is null;
}
