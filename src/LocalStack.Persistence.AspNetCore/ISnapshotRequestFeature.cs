namespace LocalStack.Persistence.AspNetCore;

/// <summary>The request scope the persistence middleware opened for the current request.</summary>
public interface ISnapshotRequestFeature
{
    /// <summary>Gets the scope; a long wait (a long poll) should run inside <see cref="SnapshotRequestScope.StepOutAsync"/>.</summary>
    SnapshotRequestScope Scope { get; }
}

internal sealed class SnapshotRequestFeature(SnapshotRequestScope scope) : ISnapshotRequestFeature
{
    public SnapshotRequestScope Scope { get; } = scope;
}
