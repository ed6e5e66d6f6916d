using System.Runtime.CompilerServices;
using LocalStack.Persistence.Internal;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Storage.Format;

namespace LocalStack.Persistence.Tests.Support;

/// <summary>
/// TEMPORARY development store for the State tests until FileSystemSnapshotStore is merged; delete it then.
/// Plain files with the same layout (api_states/&lt;service&gt;/store.state, &lt;service&gt;/&lt;generation&gt;/,
/// &lt;service&gt;/working/), temp file + fsync + rename, no lock file. Tests must rely only on the ISnapshotStore contract.
/// </summary>
internal sealed class DevSnapshotStore(string stateDirectory) : ISnapshotStore
{
    private const string WorkingFolderName = "working";
    private readonly string _root = Directory.CreateDirectory(stateDirectory).FullName;

    public async ValueTask<SnapshotMetadata> WriteAsync(SnapshotWriteRequest request, SnapshotPayloadWriter writePayload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ServiceNames.ThrowIfInvalid(request.ServiceName);
        var path = StatePath(request.ServiceName);
        if (File.Exists(path))
        {
            // Never overwrite a snapshot whose header is unreadable or newer.
            using var existing = File.OpenHandle(path);
            _ = SnapshotFile.ReadHeader(existing, path, long.MaxValue);
        }

        var folder = Directory.CreateDirectory(Path.GetDirectoryName(path)!).FullName;
        var temp = Path.Join(folder, $".store.state.{Guid.NewGuid():N}.tmp");
        try
        {
            SnapshotMetadata metadata;
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
            await using (stream.ConfigureAwait(false))
            {
                metadata = await SnapshotFile.WriteAsync(stream, new SnapshotHeaderFields(request.ServiceName, request.SchemaVersion, request.Generation, TimeProvider.System.GetUtcNow(), SnapshotCodec.None), writePayload, path, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
            LinuxNative.FsyncDirectory(folder);
            return metadata;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public async ValueTask<SnapshotReader?> OpenReadAsync(string serviceName, CancellationToken cancellationToken = default)
    {
        ServiceNames.ThrowIfInvalid(serviceName);
        var path = StatePath(serviceName);
        if (!File.Exists(path))
        {
            return null;
        }

        return await SnapshotFile.OpenAsync(File.OpenHandle(path), path, long.MaxValue, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<SnapshotMetadata?> GetMetadataAsync(string serviceName, CancellationToken cancellationToken = default)
    {
        ServiceNames.ThrowIfInvalid(serviceName);
        return ValueTask.FromResult(ReadMetadata(serviceName));
    }

    public ValueTask<bool> DeleteAsync(string serviceName, CancellationToken cancellationToken = default)
    {
        ServiceNames.ThrowIfInvalid(serviceName);
        var path = StatePath(serviceName);
        var existed = File.Exists(path);
        if (existed)
        {
            File.Delete(path);
        }

        RemoveGenerations(serviceName, keepGeneration: null);
        return ValueTask.FromResult(existed);
    }

    public async IAsyncEnumerable<SnapshotMetadata> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var states = Path.Join(_root, "api_states");
        if (!Directory.Exists(states))
        {
            yield break;
        }

        foreach (var folder in Directory.GetDirectories(states).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(folder);
            if (ServiceNames.IsValid(name) && await GetMetadataAsync(name, cancellationToken).ConfigureAwait(false) is { } metadata)
            {
                yield return metadata;
            }
        }
    }

    public string GetWorkingDirectory(string serviceName)
    {
        ServiceNames.ThrowIfInvalid(serviceName);
        return Directory.CreateDirectory(Path.Join(_root, serviceName, WorkingFolderName)).FullName;
    }

    public ValueTask<string> CreateAssetGenerationAsync(string serviceName, long generation, CancellationToken cancellationToken = default)
    {
        ServiceNames.ThrowIfInvalid(serviceName);
        ArgumentOutOfRangeException.ThrowIfLessThan(generation, 1);
        if (ReadMetadata(serviceName) is { } committed && generation <= committed.Generation)
        {
            throw new ArgumentOutOfRangeException(nameof(generation), generation, $"generation {committed.Generation} is committed; a new generation must be greater.");
        }

        var path = GenerationPath(serviceName, generation);
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }

        return ValueTask.FromResult(Directory.CreateDirectory(path).FullName);
    }

    public ValueTask FlushAssetGenerationAsync(string serviceName, long generation, CancellationToken cancellationToken = default)
    {
        ServiceNames.ThrowIfInvalid(serviceName);
        var path = GenerationPath(serviceName, generation);
        foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            stream.Flush(flushToDisk: true);
        }

        foreach (var folder in Directory.EnumerateDirectories(path, "*", SearchOption.AllDirectories).Append(path).Append(Path.GetDirectoryName(path)!))
        {
            LinuxNative.FsyncDirectory(folder);
        }

        return ValueTask.CompletedTask;
    }

    public string? GetAssetGenerationDirectory(string serviceName, long generation)
    {
        ServiceNames.ThrowIfInvalid(serviceName);
        ArgumentOutOfRangeException.ThrowIfLessThan(generation, 1);
        var path = GenerationPath(serviceName, generation);
        return Directory.Exists(path) ? path : null;
    }

    public ValueTask PruneAssetGenerationsAsync(string serviceName, long keepGeneration, CancellationToken cancellationToken = default)
    {
        ServiceNames.ThrowIfInvalid(serviceName);
        ArgumentOutOfRangeException.ThrowIfLessThan(keepGeneration, 1);
        RemoveGenerations(serviceName, keepGeneration);
        return ValueTask.CompletedTask;
    }

    private void RemoveGenerations(string serviceName, long? keepGeneration)
    {
        var folder = Path.Join(_root, serviceName);
        if (Directory.Exists(folder))
        {
            foreach (var generation in Directory.GetDirectories(folder))
            {
                var name = Path.GetFileName(generation);
                if (long.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) && number != keepGeneration)
                {
                    Directory.Delete(generation, recursive: true);
                }
            }
        }
    }

    private SnapshotMetadata? ReadMetadata(string serviceName)
    {
        var path = StatePath(serviceName);
        if (!File.Exists(path))
        {
            return null;
        }

        using var file = File.OpenHandle(path);
        return SnapshotFile.ReadHeader(file, path, long.MaxValue);
    }

    private string StatePath(string serviceName) => Path.Join(_root, "api_states", serviceName, "store.state");

    private string GenerationPath(string serviceName, long generation)
        => Path.Join(_root, serviceName, generation.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
