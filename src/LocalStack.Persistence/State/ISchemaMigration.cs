using System.Text.Json.Nodes;

namespace LocalStack.Persistence.State;

/// <summary>
/// One step of a schema migration chain: turns the JSON payload written with schema version
/// <see cref="FromVersion"/> into the shape of version <see cref="FromVersion"/> + 1.
/// </summary>
/// <remarks>
/// Steps run on the parsed payload (<see cref="JsonNode"/>) before it is deserialized, in ascending order, so a
/// migration never needs the old CLR types. <see cref="JsonServiceStateProvider{TState}"/> checks at construction
/// that the steps cover every version from 1 to its current schema version.
/// </remarks>
public interface ISchemaMigration
{
    /// <summary>The schema version this step reads; it produces version <see cref="FromVersion"/> + 1.</summary>
    int FromVersion { get; }

    /// <summary>Migrates one payload.</summary>
    /// <param name="state">The payload in the shape of <see cref="FromVersion"/>; it may be changed in place.</param>
    /// <returns>The payload in the shape of <see cref="FromVersion"/> + 1 (often <paramref name="state"/> itself).</returns>
    JsonNode Migrate(JsonNode state);
}

/// <summary>A schema migration step written as a delegate.</summary>
public sealed class SchemaMigration : ISchemaMigration
{
    private readonly Func<JsonNode, JsonNode> _migrate;

    /// <summary>Creates a step from version <paramref name="fromVersion"/> to <paramref name="fromVersion"/> + 1.</summary>
    /// <param name="fromVersion">The schema version the step reads; at least 1.</param>
    /// <param name="migrate">Turns a payload of <paramref name="fromVersion"/> into the next version's shape.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fromVersion"/> is less than 1.</exception>
    public SchemaMigration(int fromVersion, Func<JsonNode, JsonNode> migrate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fromVersion, 1);
        ArgumentNullException.ThrowIfNull(migrate);
        FromVersion = fromVersion;
        _migrate = migrate;
    }

    /// <inheritdoc />
    public int FromVersion { get; }

    /// <inheritdoc />
    public JsonNode Migrate(JsonNode state) => _migrate(state);
}
