using System.Globalization;

namespace LocalStack.Persistence.Storage.Internal;

/// <summary>
/// Where things live under the state folder, and the guard that keeps every path inside it:
/// <code>
/// &lt;state&gt;/.lock
/// &lt;state&gt;/api_states/&lt;service&gt;/store.state                    the committed snapshot
/// &lt;state&gt;/api_states/&lt;service&gt;/store.state.&lt;random&gt;.tmp       a write in progress (removed at start-up)
/// &lt;state&gt;/api_states/&lt;service&gt;/store.state.corrupt-&lt;time&gt;     bytes of a damaged snapshot, kept as evidence
/// &lt;state&gt;/api_states/&lt;service&gt;/store.delta.&lt;generation&gt;       a keyed delta on top of store.state (20 digits)
/// &lt;state&gt;/&lt;service&gt;/&lt;generation&gt;/                        asset generation, 20 decimal digits, zero-padded
/// &lt;state&gt;/&lt;service&gt;/working/                             live working files, never a generation
/// &lt;state&gt;/&lt;service&gt;/blobs/&lt;2 hex&gt;/&lt;64 hex&gt;                 content-addressed blob (SHA-256 of its bytes), never a generation
/// &lt;state&gt;/&lt;service&gt;/blobs/&lt;2 hex&gt;/&lt;64 hex&gt;.&lt;random&gt;.tmp    a blob write in progress (removed at start-up and by a sweep)
/// </code>
/// </summary>
internal sealed class StateLayout
{
    public const string LockFileName = ".lock";
    public const string ApiStatesFolderName = "api_states";
    public const string StateFileName = "store.state";
    public const string WorkingFolderName = "working";
    public const string BlobsFolderName = "blobs";
    public const string TempSuffix = ".tmp";
    public const string CorruptCopyPrefix = StateFileName + ".corrupt-";
    public const string DeltaFilePrefix = "store.delta.";

    // SHA-256 in lower-case hex; blobs are spread over 256 shard folders named by the id's first two characters.
    public const int BlobIdLength = 64;
    public const int BlobShardLength = 2;

    // long.MaxValue has 19 digits: 20 always zero-pads, so names sort like the numbers they hold.
    private const int GenerationDigits = 20;

    public StateLayout(string stateDirectory)
    {
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(stateDirectory));
        ApiStatesDirectory = Path.Combine(Root, ApiStatesFolderName);
        LockFile = Path.Combine(Root, LockFileName);
    }

    public string Root { get; }

    public string ApiStatesDirectory { get; }

    public string LockFile { get; }

    /// <summary>Throws <see cref="ArgumentException"/> for a name that is not a valid service name or that the layout reserves.</summary>
    public static void ThrowIfInvalidServiceName(string? serviceName, string paramName)
    {
        // The rules include the folder names this layout reserves (api_states).
        ServiceNameRules.ThrowIfInvalid(serviceName, paramName);
    }

    public static void ThrowIfInvalidGeneration(long generation, string paramName)
    {
        if (generation <= 0)
        {
            throw new ArgumentOutOfRangeException(paramName, generation, "An asset generation is greater than zero.");
        }
    }

    public static string GenerationFolderName(long generation) => generation.ToString("D" + GenerationDigits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>Parses a generation folder name; anything else (the working folder, foreign entries) is not a generation.</summary>
    public static bool TryParseGeneration(string folderName, out long generation)
    {
        generation = 0;
        return folderName.Length == GenerationDigits
            && folderName.All(char.IsAsciiDigit)
            && long.TryParse(folderName, NumberStyles.None, CultureInfo.InvariantCulture, out generation)
            && generation > 0;
    }

    public static bool IsTempFileName(string fileName)
        => (fileName.StartsWith(StateFileName + ".", StringComparison.Ordinal) || fileName.StartsWith(DeltaFilePrefix, StringComparison.Ordinal))
            && fileName.EndsWith(TempSuffix, StringComparison.Ordinal);

    /// <summary>Parses <c>store.delta.&lt;generation, 20 digits&gt;</c>; temp files and anything else are not deltas.</summary>
    public static bool TryParseDeltaFileName(string fileName, out long generation)
    {
        generation = 0;
        return fileName.StartsWith(DeltaFilePrefix, StringComparison.Ordinal) && TryParseGeneration(fileName[DeltaFilePrefix.Length..], out generation);
    }

    public string DeltaFile(string serviceName, long generation) => Path.Combine(ServiceStateDirectory(serviceName), DeltaFilePrefix + GenerationFolderName(generation));

    public static bool IsCorruptCopyName(string fileName)
        => fileName.StartsWith(CorruptCopyPrefix, StringComparison.Ordinal) && !fileName.EndsWith(TempSuffix, StringComparison.Ordinal);

    /// <summary>Whether <paramref name="blobId"/> is 64 lower-case hex characters: the only names a blob path is built from.</summary>
    public static bool IsValidBlobId(string? blobId)
        => blobId is { Length: BlobIdLength } && IsLowerHex(blobId);

    public static bool IsBlobShardName(string folderName)
        => folderName.Length == BlobShardLength && IsLowerHex(folderName);

    /// <summary>
    /// Whether <paramref name="fileName"/> is a blob write in progress, <c>&lt;64 hex&gt;.&lt;random&gt;.tmp</c>
    /// (<see cref="Storage.AtomicFileWriter.TempPathFor"/> of the blob's name); <paramref name="blobId"/> is the blob it was for.
    /// </summary>
    public static bool IsBlobTempFileName(string fileName, out string blobId)
    {
        blobId = fileName.Length > BlobIdLength + 1 ? fileName[..BlobIdLength] : "";
        return fileName.Length > BlobIdLength + 1
            && fileName[BlobIdLength] == '.'
            && fileName.EndsWith(TempSuffix, StringComparison.Ordinal)
            && IsValidBlobId(blobId);
    }

    public string ServiceStateDirectory(string serviceName) => Inside(ApiStatesDirectory, serviceName);

    public string StateFile(string serviceName) => Path.Combine(ServiceStateDirectory(serviceName), StateFileName);

    public string ServiceAssetDirectory(string serviceName) => Inside(Root, serviceName);

    public string GenerationDirectory(string serviceName, long generation) => Path.Combine(ServiceAssetDirectory(serviceName), GenerationFolderName(generation));

    public string WorkingDirectory(string serviceName) => Path.Combine(ServiceAssetDirectory(serviceName), WorkingFolderName);

    public string BlobsDirectory(string serviceName) => Path.Combine(ServiceAssetDirectory(serviceName), BlobsFolderName);

    /// <summary>The shard folder of a blob; <paramref name="blobId"/> must be valid (<see cref="IsValidBlobId"/>), so the path cannot climb.</summary>
    public string BlobShardDirectory(string serviceName, string blobId) => Path.Combine(BlobsDirectory(serviceName), BlobShardOf(blobId));

    /// <summary>The file of a blob; <paramref name="blobId"/> must be valid (<see cref="IsValidBlobId"/>), so the path cannot climb.</summary>
    public string BlobFile(string serviceName, string blobId) => Path.Combine(BlobShardDirectory(serviceName, blobId), blobId);

    private static string BlobShardOf(string blobId)
        => IsValidBlobId(blobId) ? blobId[..BlobShardLength] : throw new ArgumentException($"'{blobId}' is not a blob id (64 lower-case hex characters).", nameof(blobId));

    private static bool IsLowerHex(string value) => value.All(static c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    /// <summary>
    /// Refuses a path below the root of which any part (from the root's child down to the path itself) is a symbolic
    /// link or another reparse point, so that a link planted in the state folder is never followed out of it.
    /// The state folder itself may be a link: the operator chose it.
    /// </summary>
    public void ThrowIfLinked(string path)
    {
        var relative = Path.GetRelativePath(Root, path);
        if (relative == "." || Path.IsPathRooted(relative) || relative.StartsWith("..", StringComparison.Ordinal))
        {
            throw new SnapshotException($"Path '{path}' is outside the state folder '{Root}'.");
        }

        var current = Root;
        foreach (var part in relative.Split(Path.DirectorySeparatorChar))
        {
            current = Path.Combine(current, part);
            if (IsLink(current))
            {
                throw new SnapshotException($"'{current}' in the state folder is a symbolic link (or another reparse point); it is not followed. Remove it or replace it with a real folder or file.");
            }
        }
    }

    /// <summary>What <paramref name="path"/> is, not following a symbolic link at its last component (one statx call on Linux).</summary>
    public static FileKind KindOf(string path)
        => LinuxNative.TryGetKind(path)
            ?? (IsLink(path) ? FileKind.SymbolicLink : Directory.Exists(path) ? FileKind.Directory : File.Exists(path) ? FileKind.File : FileKind.Missing);

    public static bool IsLink(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            return true;
        }

        // Attributes of a missing path read as -1 (every flag set).
        var attributes = info.Attributes;
        return (int)attributes != -1 && attributes.HasFlag(FileAttributes.ReparsePoint);
    }

    private string Inside(string parent, string name)
    {
        var path = Path.GetFullPath(Path.Combine(parent, name));

        // Defence in depth: a valid service name cannot climb, but never hand out a path outside the root.
        if (!string.Equals(Path.GetDirectoryName(path), parent, StringComparison.Ordinal))
        {
            throw new SnapshotException($"Path '{path}' is outside the state folder '{Root}'.");
        }

        return path;
    }
}
