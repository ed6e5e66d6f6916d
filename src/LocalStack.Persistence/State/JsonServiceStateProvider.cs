using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace LocalStack.Persistence.State;

/// <summary>
/// The easy path to persistence: the emulator returns its state as a <typeparamref name="TState"/>, restores it and
/// resets it; this class turns it into JSON through a source-generated <see cref="JsonTypeInfo{T}"/> (trim- and
/// AOT-safe) and migrates payloads written with older schema versions.
/// </summary>
/// <remarks>
/// <para>
/// <b>Overrides.</b> Override one member of each pair, the synchronous or the asynchronous one:
/// <see cref="Capture"/> or <see cref="CaptureAsync"/>, <see cref="Restore"/> or <see cref="RestoreAsync"/>,
/// <see cref="Reset"/> or <see cref="ResetAsync"/>. The asynchronous member calls the synchronous one by default; when
/// both are overridden, the asynchronous one is used. A class that overrides neither member of a pair fails at
/// construction with <see cref="InvalidOperationException"/>.
/// </para>
/// <para>
/// <b>Capture modes.</b> By default (<see cref="CaptureIsImmutable"/> is <see langword="false"/>) the state returned
/// by <see cref="Capture"/> is serialized while the service's gate is held, into pooled memory; the write phase only
/// copies those bytes. So <see cref="Capture"/> may return the live, mutable state, and requests that run after the
/// gate is released cannot change the snapshot. When the provider returns an immutable view (or a private copy),
/// override <see cref="CaptureIsImmutable"/> to return <see langword="true"/>: serialization then happens outside the
/// gate, straight into the snapshot file, which keeps the gate short for large states.
/// </para>
/// <para>
/// <b>Schema migrations.</b> <see cref="SchemaVersion"/> is written with every snapshot. A payload of an older
/// version is parsed as a <see cref="JsonNode"/>, migrated step by step (<see cref="ISchemaMigration"/>,
/// n → n + 1) and then deserialized. A payload of a newer version is refused with
/// <see cref="SnapshotVersionException"/>, and the live state is left unchanged.
/// </para>
/// <para>
/// <b>Hooks.</b> To run code before or after a save, load or reset of this service, implement
/// <see cref="IStateLifecycleHook"/> on the derived class; <see cref="ServiceSnapshotter"/> calls it.
/// </para>
/// </remarks>
/// <typeparam name="TState">The serializable state (or view of it).</typeparam>
public abstract class JsonServiceStateProvider<TState> : IServiceStateProvider
{
    // Per provider type: null when it overrides one member of each pair, otherwise the error. Found once per type.
    private static readonly ConcurrentDictionary<Type, string?> MissingOverrides = new();

    private readonly ISchemaMigration[] _migrations;

    /// <summary>Creates the provider.</summary>
    /// <param name="serviceName">The service name, for example <c>sqs</c>; see <see cref="ServiceNameRules"/>.</param>
    /// <param name="typeInfo">The source-generated serialization metadata of <typeparamref name="TState"/>.</param>
    /// <param name="schemaVersion">The current version of the payload's shape; at least 1.</param>
    /// <param name="migrations">
    /// One step for every version from 1 to <paramref name="schemaVersion"/> - 1, in any order; none when the version is 1.
    /// </param>
    /// <exception cref="ArgumentException">
    /// The service name is invalid, or the migration chain has a gap, a duplicate or a step beyond <paramref name="schemaVersion"/>.
    /// </exception>
    /// <exception cref="InvalidOperationException">
    /// The derived class overrides neither member of a pair (<see cref="Capture"/> or <see cref="CaptureAsync"/>,
    /// <see cref="Restore"/> or <see cref="RestoreAsync"/>, <see cref="Reset"/> or <see cref="ResetAsync"/>).
    /// </exception>
    protected JsonServiceStateProvider(string serviceName, JsonTypeInfo<TState> typeInfo, int schemaVersion = 1, IEnumerable<ISchemaMigration>? migrations = null)
    {
        ServiceNameRules.ThrowIfInvalid(serviceName);
        ArgumentNullException.ThrowIfNull(typeInfo);
        ArgumentOutOfRangeException.ThrowIfLessThan(schemaVersion, 1);
        ServiceName = serviceName;
        TypeInfo = typeInfo;
        SchemaVersion = schemaVersion;
        _migrations = BuildChain(serviceName, schemaVersion, migrations);
        ThrowIfAPairIsNotOverridden();
    }

    /// <inheritdoc />
    public string ServiceName { get; }

    /// <inheritdoc />
    public int SchemaVersion { get; }

    /// <summary>The serialization metadata of <typeparamref name="TState"/>.</summary>
    protected JsonTypeInfo<TState> TypeInfo { get; }

    /// <summary>
    /// Whether the state returned by <see cref="Capture"/> stays unchanged after the gate is released (an immutable
    /// object or a private copy). When <see langword="true"/>, serialization runs outside the gate.
    /// </summary>
    /// <value>The default value is <see langword="false"/>: the state is serialized under the gate.</value>
    protected virtual bool CaptureIsImmutable => false;

    /// <summary>
    /// Returns the state to save. Called with the service's gate held exclusively, through <see cref="CaptureAsync"/>
    /// unless that is overridden. Override this or <see cref="CaptureAsync"/>.
    /// </summary>
    /// <returns>The live state (serialized before the gate is released) or, when <see cref="CaptureIsImmutable"/> is <see langword="true"/>, an immutable view.</returns>
    /// <exception cref="InvalidOperationException">Called although the derived class does not override it.</exception>
    protected virtual TState Capture() => throw NotOverridden("Capture()", "CaptureAsync");

    /// <summary>
    /// Returns the state to save and stages assets through <paramref name="context"/>. Called with the service's gate
    /// held exclusively. Override this or <see cref="Capture"/>; by default it calls <see cref="Capture"/>.
    /// </summary>
    /// <param name="context">The save's context: working folder and asset staging.</param>
    /// <param name="cancellationToken">Cancels the capture.</param>
    /// <returns>The live state (serialized before the gate is released) or, when <see cref="CaptureIsImmutable"/> is <see langword="true"/>, an immutable view.</returns>
    protected virtual ValueTask<TState> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken) => ValueTask.FromResult(Capture());

    /// <summary>
    /// Replaces the live state with a restored one. Called with the service's gate held exclusively, through
    /// <see cref="RestoreAsync"/> unless that is overridden. Override this or <see cref="RestoreAsync"/>.
    /// </summary>
    /// <param name="state">The state read from the snapshot, migrated to the current schema version.</param>
    /// <exception cref="InvalidOperationException">Called although the derived class does not override it.</exception>
    protected virtual void Restore(TState state) => throw NotOverridden("Restore(TState)", "RestoreAsync");

    /// <summary>
    /// Replaces the live state with a restored one and restores assets through <paramref name="context"/>. Called with
    /// the service's gate held exclusively. Override this or <see cref="Restore"/>; by default it calls <see cref="Restore"/>.
    /// </summary>
    /// <param name="state">The state read from the snapshot, migrated to the current schema version.</param>
    /// <param name="context">The load's context: the committed asset generation and the working folder.</param>
    /// <param name="cancellationToken">Cancels the restore.</param>
    /// <returns>A task that completes when the state is live.</returns>
    protected virtual ValueTask RestoreAsync(TState state, SnapshotContext context, CancellationToken cancellationToken)
    {
        Restore(state);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Returns the service to its empty initial state. Called with the service's gate held exclusively, through
    /// <see cref="ResetAsync"/> unless that is overridden. Override this or <see cref="ResetAsync"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called although the derived class does not override it.</exception>
    protected virtual void Reset() => throw NotOverridden("Reset()", "ResetAsync");

    /// <summary>
    /// Returns the service to its empty initial state, working files included. Called with the service's gate held
    /// exclusively. Override this or <see cref="Reset"/>; by default it calls <see cref="Reset"/>.
    /// </summary>
    /// <param name="context">The reset's context: the working folder.</param>
    /// <param name="cancellationToken">Cancels the reset.</param>
    /// <returns>A task that completes when the state is empty.</returns>
    protected virtual ValueTask ResetAsync(SnapshotContext context, CancellationToken cancellationToken)
    {
        Reset();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    async ValueTask<IStateCapture> IServiceStateProvider.CaptureAsync(SnapshotContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var state = await CaptureAsync(context, cancellationToken).ConfigureAwait(false);
        if (state is null)
        {
            throw new InvalidOperationException($"The state provider of service '{ServiceName}' captured null; return an empty state instead.");
        }

        if (CaptureIsImmutable)
        {
            return new DeferredCapture(state, TypeInfo);
        }

        var buffer = new SegmentedBufferWriter();
        try
        {
            using var writer = new Utf8JsonWriter(buffer, WriterOptions(TypeInfo.Options));
            JsonSerializer.Serialize(writer, state, TypeInfo);
            writer.Flush();
            return new BufferedCapture(buffer);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    async ValueTask IServiceStateProvider.RestoreAsync(SnapshotPayload payload, SnapshotContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(context);
        var location = payload.Metadata.Location;
        if (payload.SchemaVersion > SchemaVersion)
        {
            throw new SnapshotVersionException(location, "schema", payload.SchemaVersion, SchemaVersion);
        }

        if (payload.SchemaVersion < 1)
        {
            throw new SnapshotCorruptException(location, $"schema version {payload.SchemaVersion} is not valid; schema versions start at 1.");
        }

        TState? state;
        try
        {
            state = payload.SchemaVersion == SchemaVersion
                ? await JsonSerializer.DeserializeAsync(payload.Content, TypeInfo, cancellationToken).ConfigureAwait(false)
                : await ReadMigratedAsync(payload, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new SnapshotCorruptException(location, $"its payload (schema version {payload.SchemaVersion}) does not match the state of service '{ServiceName}': {e.Message}", e);
        }

        if (state is null)
        {
            throw new SnapshotCorruptException(location, $"its payload is JSON null; service '{ServiceName}' expects a state object.");
        }

        await RestoreAsync(state, context, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    ValueTask IServiceStateProvider.ResetAsync(SnapshotContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ResetAsync(context, cancellationToken);
    }

    /// <summary>Fails when the provider overrides neither member of a pair: it could never save, load or reset.</summary>
    private void ThrowIfAPairIsNotOverridden()
    {
        var type = GetType();
        if (!MissingOverrides.TryGetValue(type, out var problem))
        {
            problem = FindMissingOverrides();
            MissingOverrides.TryAdd(type, problem);
        }

        if (problem is not null)
        {
            throw new InvalidOperationException(problem);
        }
    }

    private string? FindMissingOverrides()
    {
        // A delegate to a virtual method binds to its most derived override, so its Method tells whether a derived class
        // overrides it. Unlike a search of the type's methods, this needs no reflection metadata (trimmed or native AOT).
        static bool Overridden(Delegate member) => member.Method.DeclaringType != typeof(JsonServiceStateProvider<TState>);
        (bool Overridden, string Sync, string Async)[] pairs =
        [
            (Overridden(new Func<TState>(Capture)) || Overridden(new Func<SnapshotContext, CancellationToken, ValueTask<TState>>(CaptureAsync)),
                "Capture()", "CaptureAsync(SnapshotContext, CancellationToken)"),
            (Overridden(new Action<TState>(Restore)) || Overridden(new Func<TState, SnapshotContext, CancellationToken, ValueTask>(RestoreAsync)),
                "Restore(TState)", "RestoreAsync(TState, SnapshotContext, CancellationToken)"),
            (Overridden(new Action(Reset)) || Overridden(new Func<SnapshotContext, CancellationToken, ValueTask>(ResetAsync)),
                "Reset()", "ResetAsync(SnapshotContext, CancellationToken)"),
        ];
        var missing = pairs.Where(p => !p.Overridden).Select(p => $"neither {p.Sync} nor {p.Async}").ToArray();
        return missing.Length == 0
            ? null
            : $"State provider '{GetType()}' overrides {string.Join(", ", missing)}; override one member of each pair (the async one calls the sync one by default).";
    }

    /// <summary>The error of a sync member called although only its async partner is overridden.</summary>
    private InvalidOperationException NotOverridden(string member, string asyncMember)
        => new($"State provider '{GetType()}' does not override {member}; it overrides {asyncMember}, which must not call the base {asyncMember} or {member}.");

    private async ValueTask<TState?> ReadMigratedAsync(SnapshotPayload payload, CancellationToken cancellationToken)
    {
        var options = TypeInfo.Options;
        var node = await JsonNode.ParseAsync(
            payload.Content,
            new JsonNodeOptions { PropertyNameCaseInsensitive = options.PropertyNameCaseInsensitive },
            new JsonDocumentOptions
            {
                AllowTrailingCommas = options.AllowTrailingCommas,
                CommentHandling = options.ReadCommentHandling == JsonCommentHandling.Allow ? JsonCommentHandling.Skip : options.ReadCommentHandling,
                MaxDepth = options.MaxDepth,
            },
            cancellationToken).ConfigureAwait(false);

        var location = payload.Metadata.Location;
        for (var version = payload.SchemaVersion; version < SchemaVersion; version++)
        {
            if (node is null)
            {
                throw new SnapshotCorruptException(location, $"its payload became JSON null before the migration from schema version {version} to {version + 1}.");
            }

            try
            {
                node = _migrations[version - 1].Migrate(node);
            }
            catch (Exception e) when (e is not OperationCanceledException and not SnapshotException)
            {
                throw new SnapshotException($"Snapshot '{location}' of service '{ServiceName}' could not be migrated from schema version {version} to {version + 1}: {e.Message}", e);
            }
        }

        return node is null ? default : node.Deserialize(TypeInfo);
    }

    private static ISchemaMigration[] BuildChain(string serviceName, int schemaVersion, IEnumerable<ISchemaMigration>? migrations)
    {
        var chain = new ISchemaMigration?[schemaVersion - 1];
        foreach (var step in migrations ?? [])
        {
            ArgumentNullException.ThrowIfNull(step, nameof(migrations));
            var from = step.FromVersion;
            if (from < 1 || from >= schemaVersion)
            {
                throw new ArgumentException($"Service '{serviceName}' has schema version {schemaVersion}, so migration steps must start at versions 1 to {schemaVersion - 1}; a step from version {from} to {from + 1} is not part of the chain.", nameof(migrations));
            }

            if (chain[from - 1] is not null)
            {
                throw new ArgumentException($"Service '{serviceName}' has two migration steps from schema version {from} to {from + 1}.", nameof(migrations));
            }

            chain[from - 1] = step;
        }

        var missing = Enumerable.Range(1, schemaVersion - 1).Where(v => chain[v - 1] is null).ToArray();
        if (missing.Length > 0)
        {
            throw new ArgumentException($"Service '{serviceName}' has schema version {schemaVersion} but no migration step {string.Join(", ", missing.Select(v => $"{v}→{v + 1}"))}; every older version needs a step so that its snapshots still load.", nameof(migrations));
        }

        return chain!;
    }

    private static JsonWriterOptions WriterOptions(JsonSerializerOptions options) => new()
    {
        Encoder = options.Encoder,
        Indented = options.WriteIndented,
        MaxDepth = options.MaxDepth,
    };

    /// <summary>State already serialized under the gate, in pooled memory.</summary>
    private sealed class BufferedCapture(SegmentedBufferWriter buffer) : IStateCapture
    {
        public ValueTask WriteToAsync(Stream destination, CancellationToken cancellationToken = default)
            => buffer.CopyToAsync(destination, cancellationToken);

        public ValueTask DisposeAsync()
        {
            buffer.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>An immutable state, serialized straight into the snapshot outside the gate.</summary>
    private sealed class DeferredCapture(TState state, JsonTypeInfo<TState> typeInfo) : IStateCapture
    {
        public ValueTask WriteToAsync(Stream destination, CancellationToken cancellationToken = default)
        {
            if (destination is not IBufferWriter<byte> output)
            {
                return new(JsonSerializer.SerializeAsync(destination, state, typeInfo, cancellationToken));
            }

            // The store's payload stream: the synchronous serializer (source-generated fast path) writes straight into
            // the encoder's blocks, which are compressed in parallel meanwhile. No gate is held here.
            cancellationToken.ThrowIfCancellationRequested();
            using var writer = new Utf8JsonWriter(output, WriterOptions(typeInfo.Options));
            JsonSerializer.Serialize(writer, state, typeInfo);
            writer.Flush();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
