namespace LocalStack.Persistence.AspNetCore;

/// <summary>The persistence fragment of LocalStack's health answer, for a host that serves its own health endpoint.</summary>
public static class SnapshotHealth
{
    /// <summary>The feature value when persistence is on.</summary>
    public const string Initialized = "initialized";

    /// <summary>The feature value when persistence is off (<c>PERSISTENCE=0</c>).</summary>
    public const string Disabled = "disabled";

    /// <summary>Gets the value of <c>"features": {"persistence": ...}</c>, as LocalStack reports it.</summary>
    /// <param name="manager">The snapshot manager.</param>
    /// <returns><see cref="Initialized"/> or <see cref="Disabled"/>.</returns>
    public static string GetPersistenceFeature(ISnapshotManager manager)
    {
        ArgumentNullException.ThrowIfNull(manager);
        return manager.IsEnabled ? Initialized : Disabled;
    }
}
