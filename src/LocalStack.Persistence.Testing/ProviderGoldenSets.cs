using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.Testing;

/// <summary>
/// Golden sets of a provider's snapshots (reliability catalogue case 7): <see cref="RecordAsync"/> writes what a save
/// of the provider stores, with the schema's <see cref="SchemaFingerprint"/>, into <c>&lt;folder&gt;/&lt;service&gt;-v&lt;schema
/// version&gt;</c>; commit that folder. <see cref="CheckSchemaAsync"/> then fails when the schema changes without a new
/// schema version and golden set, and <see cref="CheckRestoreAsync"/> when a recorded set no longer loads.
/// </summary>
/// <remarks>
/// A set holds <c>state/</c> (the snapshot as <c>FileSystemSnapshotStore</c> lays it out: <c>api_states/&lt;service&gt;/store.state</c>
/// and the asset generation) and <c>schema.json</c> (service, schema version, fingerprint). A set is never overwritten:
/// a schema change raises the provider's <see cref="IServiceStateProvider.SchemaVersion"/>, adds an
/// <see cref="ISchemaMigration"/> from the old one, and records a new set beside the old ones.
/// </remarks>
public static class ProviderGoldenSets
{
    /// <summary>The file of a set that holds its service, schema version and fingerprint.</summary>
    public const string SchemaFileName = "schema.json";

    /// <summary>The name of <see cref="CheckSchemaAsync"/>.</summary>
    public const string CheckSchemaName = "The_schema_of_todays_version_is_the_golden_sets";

    /// <summary>The name of <see cref="CheckRestoreAsync"/>.</summary>
    public const string CheckRestoreName = "Every_golden_set_restores_and_saves_again";

    /// <summary>The folder name of a set: <c>&lt;service&gt;-v&lt;schema version&gt;</c>, for example <c>s3-v1</c>.</summary>
    /// <param name="serviceName">The service.</param>
    /// <param name="schemaVersion">The schema version.</param>
    /// <returns>The folder name.</returns>
    public static string SetName(string serviceName, int schemaVersion) => string.Create(CultureInfo.InvariantCulture, $"{serviceName}-v{schemaVersion}");

    /// <summary>Saves the provider and records the save as the golden set of its service and schema version.</summary>
    /// <param name="provider">The provider, holding the state to record (a few items of every kind it persists).</param>
    /// <param name="folder">The folder of golden sets, usually in the test project's source tree.</param>
    /// <param name="stateType">The serialization metadata of the persisted state, for a data-independent fingerprint; otherwise the payload's shape is used.</param>
    /// <param name="cancellationToken">Cancels the recording.</param>
    /// <returns>The folder of the new set.</returns>
    /// <exception cref="InvalidOperationException">The set exists: a golden set is never overwritten.</exception>
    public static async Task<string> RecordAsync(IServiceStateProvider provider, string folder, JsonTypeInfo? stateType = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var target = Path.Combine(folder, SetName(provider.ServiceName, provider.SchemaVersion));
        if (Directory.Exists(target))
        {
            throw new InvalidOperationException($"Golden set '{target}' exists. A golden set is never overwritten: a schema change raises the schema version, adds a migration and records a new set.");
        }

        var harness = ProviderHarness.Create();
        await using (harness.ConfigureAwait(false))
        {
            var saved = await harness.SaveAsync(provider, "the save to record", cancellationToken).ConfigureAwait(false);
            var fingerprint = stateType is null ? SchemaFingerprint.FromPayload(saved.Payload) : SchemaFingerprint.FromType(stateType);
            ProviderHarness.CopyTree(harness.StateDirectory, Path.Combine(target, "state"), IsPartOfASnapshot);
            using var file = File.Create(Path.Combine(target, SchemaFileName));
            using var writer = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true });
            writer.WriteStartObject();
            writer.WriteString("service", provider.ServiceName);
            writer.WriteNumber("schemaVersion", provider.SchemaVersion);
            fingerprint.ToJson(writer);
            writer.WriteEndObject();
        }

        return target;
    }

    /// <summary>
    /// The guard: today's schema version of the provider has a golden set in <paramref name="folder"/>, its fingerprint
    /// is today's (the shape did not change without a new schema version), and no set holds a newer version.
    /// </summary>
    /// <param name="provider">The provider, holding the same kind of state as when the set was recorded.</param>
    /// <param name="folder">The folder of golden sets.</param>
    /// <param name="stateType">The serialization metadata given to <see cref="RecordAsync"/>, if any.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed; the message lists the shape lines added (+) and removed (-).</exception>
    public static Task CheckSchemaAsync(IServiceStateProvider provider, string folder, JsonTypeInfo? stateType = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        return PersistenceCheck.RunNamedAsync(CheckSchemaName, async () =>
        {
            var service = provider.ServiceName;
            var version = provider.SchemaVersion;
            var sets = Sets(folder, service);
            if (sets.Where(s => s.Version > version).Select(s => s.Path).FirstOrDefault() is { } newer)
            {
                throw Expect.Failure($"service '{service}' writes schema version {version}, but golden set '{newer}' holds a newer one: a schema version never goes down.");
            }

            var set = sets.FirstOrDefault(s => s.Version == version).Path
                ?? throw Expect.Failure($"service '{service}' writes schema version {version}, but '{folder}' holds no golden set '{SetName(service, version)}'. Record one with ProviderGoldenSets.RecordAsync and commit it.");
            SchemaFingerprint recorded;
            using (var document = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(set, SchemaFileName), cancellationToken).ConfigureAwait(false)))
            {
                recorded = SchemaFingerprint.FromJson(document.RootElement);
            }

            SchemaFingerprint today;
            if (stateType is not null)
            {
                today = SchemaFingerprint.FromType(stateType);
            }
            else
            {
                var harness = ProviderHarness.Create();
                await using (harness.ConfigureAwait(false))
                {
                    today = SchemaFingerprint.FromPayload((await harness.SaveAsync(provider, "the save of today's state", cancellationToken).ConfigureAwait(false)).Payload);
                }
            }

            if (recorded.Source != today.Source)
            {
                throw Expect.Failure($"golden set '{set}' was fingerprinted from the {recorded.Source}, this check from the {today.Source}: pass the same stateType as when it was recorded.");
            }

            if (recorded.Hash != today.Hash)
            {
                throw Expect.Failure($"the schema of service '{service}' changed but its schema version is still {version} (golden set '{set}'):\n{recorded.DescribeChangeTo(today)}\nRaise SchemaVersion, add an ISchemaMigration from {version} and record a new golden set.");
            }
        }, cancellationToken);
    }

    /// <summary>
    /// Every golden set of the service in <paramref name="folder"/> loads into a fresh provider (through its migrations
    /// for older schema versions) and saves again. Fails when the folder holds no set of the service.
    /// </summary>
    /// <param name="folder">The folder of golden sets.</param>
    /// <param name="createEmpty">Creates a new, empty provider, with working files of its own; disposed after use when disposable.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed.</exception>
    public static Task CheckRestoreAsync(string folder, Func<IServiceStateProvider> createEmpty, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(createEmpty);
        return PersistenceCheck.RunNamedAsync(CheckRestoreName, async () =>
        {
            List<(int Version, string Path)>? sets = null;
            var problems = new List<string>();
            for (var i = 0; sets is null || i < sets.Count; i++)
            {
                var provider = createEmpty() ?? throw Expect.Failure("the factory of empty providers returned null.");
                try
                {
                    sets ??= Sets(folder, provider.ServiceName);
                    if (sets.Count == 0)
                    {
                        throw Expect.Failure($"'{folder}' holds no golden set of service '{provider.ServiceName}'.");
                    }

                    var path = sets[i].Path;
                    var harness = ProviderHarness.Create(state => ProviderHarness.CopyTree(Path.Combine(path, "state"), state, static _ => true));
                    await using (harness.ConfigureAwait(false))
                    {
                        try
                        {
                            await harness.LoadAsync(provider, $"the load of golden set '{path}'", cancellationToken).ConfigureAwait(false);
                            await harness.SaveAsync(provider, $"the save after loading golden set '{path}'", cancellationToken).ConfigureAwait(false);
                        }
                        catch (PersistenceCheckException e)
                        {
                            problems.Add(e.Message);
                        }
                    }
                }
                finally
                {
                    await StoreData.DisposeAsync(provider).ConfigureAwait(false);
                }
            }

            if (problems.Count > 0)
            {
                throw Expect.Failure(string.Join("\n", problems));
            }
        }, cancellationToken);
    }

    /// <summary>The recorded sets of a service, by schema version.</summary>
    private static List<(int Version, string Path)> Sets(string folder, string serviceName)
    {
        var prefix = serviceName + "-v";
        return Directory.Exists(folder)
            ? [.. Directory.EnumerateDirectories(folder)
                .Select(path => (Name: Path.GetFileName(path), Path: path))
                .Where(s => s.Name.StartsWith(prefix, StringComparison.Ordinal) && File.Exists(Path.Combine(s.Path, SchemaFileName)))
                .Select(s => (Version: int.TryParse(s.Name.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0, s.Path))
                .Where(s => s.Version > 0)
                .OrderBy(s => s.Version)]
            : [];
    }

    /// <summary>What a set keeps of the store's folder: state files and asset generations; not the lock, working folders, temp files or corrupt copies.</summary>
    internal static bool IsPartOfASnapshot(string relativePath)
    {
        var parts = relativePath.Split(Path.DirectorySeparatorChar);
        var name = parts[^1];
        return name != ".lock"
            && !parts.Contains("working")
            && !name.EndsWith(".tmp", StringComparison.Ordinal)
            && !name.Contains(".corrupt-", StringComparison.Ordinal);
    }
}
