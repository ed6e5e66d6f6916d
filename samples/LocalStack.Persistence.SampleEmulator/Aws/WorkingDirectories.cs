using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.SampleEmulator.Aws;

/// <summary>
/// Where each service keeps its live files (object bytes, SQLite databases): the snapshot store's working folder of the
/// service when persistence is on (<c>state/&lt;service&gt;/working</c>, never part of a committed generation), otherwise
/// a temporary folder removed when the emulator stops.
/// </summary>
internal sealed class WorkingDirectories(IServiceProvider services) : IDisposable
{
    private readonly ISnapshotStore? _store = services.GetService<ISnapshotStore>();
    private readonly Lazy<string> _temporary = new(() => Directory.CreateTempSubdirectory("lsp-sample-").FullName);

    public string For(string serviceName)
    {
        if (_store is not null)
        {
            return _store.GetWorkingDirectory(serviceName);
        }

        var path = Path.Combine(_temporary.Value, serviceName);
        Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose()
    {
        if (_temporary.IsValueCreated)
        {
            try
            {
                Directory.Delete(_temporary.Value, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp folder left behind is harmless.
            }
        }
    }
}
