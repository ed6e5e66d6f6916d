using System.Runtime.InteropServices;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>
/// Persists S3: bucket, object and upload metadata as JSON (the state), object and part bytes as assets
/// (<c>objects/&lt;file&gt;</c>), hard-linked into the generation at capture and back into the working folder at restore.
/// </summary>
/// <remarks>
/// Hard-linking a committed generation's files into the working folder is safe here because object files are never
/// written in place: the emulator only creates new files and deletes old ones, and a delete removes one name only.
/// </remarks>
internal sealed partial class S3StateProvider(S3Store store) : JsonServiceStateProvider<S3StateDocument>(S3Module.ServiceName, S3JsonContext.Default.S3StateDocument)
{
    private const string AssetFolder = "objects/";

    protected override void Reset()
    {
        lock (store.Sync)
        {
            store.Clear();
        }
    }

    protected override async ValueTask<S3StateDocument> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken)
    {
        // The exclusive gate is held: no request is writing, so the files and the document agree.
        S3StateDocument document;
        string[] files;
        lock (store.Sync)
        {
            document = store.ToDocument();
            files = [.. store.ReferencedFiles().Distinct(StringComparer.Ordinal)];
        }

        foreach (var file in files)
        {
            await context.StageFileAsync(store.PathOf(file), AssetFolder + file, cancellationToken);
        }

        return document;
    }

    protected override ValueTask RestoreAsync(S3StateDocument state, SnapshotContext context, CancellationToken cancellationToken)
    {
        var location = context.SnapshotLocation ?? context.ServiceName;
        if (S3StateValidator.FindProblem(state) is { } problem)
        {
            throw new SnapshotCorruptException(location, problem + ".");
        }

        // The size a listing reports and the bytes a GET sends must agree: check every size against its file.
        var sizes = state.Accounts.SelectMany(a => a.Buckets)
            .SelectMany(b => b.Objects.Select(o => (o.File, o.Size)).Concat(b.Uploads.SelectMany(u => u.Parts.Select(p => (p.File, p.Size)))))
            .ToArray();
        var files = sizes.Select(s => s.File).Distinct(StringComparer.Ordinal).ToArray();
        lock (store.Sync)
        {
            store.Clear();
            foreach (var file in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!S3Store.IsValidFileName(file))
                {
                    throw new SnapshotCorruptException(context.AssetDirectory ?? context.ServiceName, $"it names object file '{file}', which is not a file name the S3 emulator writes.");
                }

                var asset = context.GetAssetPath(AssetFolder + file)
                    ?? throw new SnapshotCorruptException(context.AssetDirectory ?? context.ServiceName, $"its object file '{file}' is missing from asset generation {context.Generation}.");
                LinkOrCopy(asset, store.PathOf(file));
            }

            foreach (var (file, size) in sizes)
            {
                var length = new FileInfo(store.PathOf(file)).Length;
                if (length != size)
                {
                    store.Clear();
                    throw new SnapshotCorruptException(location, $"it gives object file '{file}' a size of {size} bytes, but the file holds {length}.");
                }
            }

            store.Load(state);
        }

        return ValueTask.CompletedTask;
    }

    private static void LinkOrCopy(string source, string destination)
    {
        if (!OperatingSystem.IsLinux() || Link(NullTerminated(source), NullTerminated(destination)) != 0)
        {
            File.Copy(source, destination, overwrite: false);
        }
    }

    private static byte[] NullTerminated(string path) => System.Text.Encoding.UTF8.GetBytes(path + "\0");

    // Byte arrays (UTF-8, NUL-terminated) rather than strings: no string marshalling, so no unsafe code in the sample.
    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Link(byte[] oldPath, byte[] newPath);
}
