using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.AotSmoke;

/// <summary>Synchronous overrides, declared on an intermediate base class (not on the class constructed).</summary>
internal abstract class DictionaryState(int schemaVersion, ISchemaMigration[] migrations)
    : JsonServiceStateProvider<Dictionary<string, string>>("kv", SmokeJson.Default.DictionaryStringString, schemaVersion, migrations)
{
    public Dictionary<string, string> Items { get; private set; } = [];

    protected override Dictionary<string, string> Capture() => Items;

    protected override void Restore(Dictionary<string, string> state) => Items = state;

    protected override void Reset() => Items = [];
}

/// <summary>Schema version 1; also the provider registered in the generic host.</summary>
internal sealed class KvState() : DictionaryState(1, []);

/// <summary>Schema version 2: the step from version 1 adds a key.</summary>
internal sealed class KvStateV2() : DictionaryState(2, [new SchemaMigration(1, AddMigratedKey)])
{
    private static JsonNode AddMigratedKey(JsonNode state)
    {
        state["migrated"] = "from-v1";
        return state;
    }
}

/// <summary>Only the asynchronous overrides; the note text travels as an asset file next to the payload.</summary>
internal sealed class NotesState() : JsonServiceStateProvider<NotesModel>("notes", SmokeJson.Default.NotesModel)
{
    private const string AssetName = "notes/text.txt";

    public string Title { get; set; } = "";

    public string Text { get; set; } = "";

    protected override async ValueTask<NotesModel> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken)
    {
        var text = Text;
        await context.StageAsync(AssetName, (path, ct) => new ValueTask(File.WriteAllTextAsync(path, text, ct)), cancellationToken);
        return new NotesModel(Title);
    }

    protected override async ValueTask RestoreAsync(NotesModel state, SnapshotContext context, CancellationToken cancellationToken)
    {
        var path = context.GetAssetPath(AssetName) ?? throw new InvalidOperationException("the snapshot has no asset " + AssetName);
        Text = await File.ReadAllTextAsync(path, cancellationToken);
        Title = state.Title;
    }

    protected override ValueTask ResetAsync(SnapshotContext context, CancellationToken cancellationToken)
    {
        Title = "";
        Text = "";
        return ValueTask.CompletedTask;
    }
}

internal sealed record NotesModel(string Title);

internal sealed class TopicStore
{
    public List<string> Topics { get; set; } = [];
}

internal sealed class TopicState(AccountRegionStore<TopicStore> stores)
    : AccountRegionStateProvider<TopicStore>("sns", stores, SmokeJson.Default.TopicStore);

/// <summary>Overrides Capture and Restore but neither Reset nor ResetAsync: refused at construction.</summary>
internal sealed class NoResetState() : JsonServiceStateProvider<NotesModel>("noreset", SmokeJson.Default.NotesModel)
{
    protected override NotesModel Capture() => new("");

    protected override void Restore(NotesModel state)
    {
    }
}

[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(NotesModel))]
[JsonSerializable(typeof(TopicStore))]
internal sealed partial class SmokeJson : JsonSerializerContext;
