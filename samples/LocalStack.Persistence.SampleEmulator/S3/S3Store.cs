using LocalStack.Persistence.SampleEmulator.Aws;

namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>
/// The live S3 state: buckets per account (metadata in memory) and object bytes as immutable files in the service's
/// working folder. A file is written once under a fresh name and never changed; an object points at its file, and an
/// overwrite points the object at a new file and deletes the old one. So a snapshot can hard-link the files as they are.
/// </summary>
/// <remarks>All members that touch buckets, objects or uploads must be called with <see cref="Sync"/> held.</remarks>
internal sealed class S3Store
{
    private readonly Dictionary<string, Dictionary<string, S3Bucket>> _accounts = new(StringComparer.Ordinal);

    // Files being written outside the gate (an upload's body arriving): referenced by nothing yet, so no capture takes
    // them, and a reset or load in the meantime must not delete them under the writer.
    private readonly HashSet<string> _incoming = new(StringComparer.Ordinal);

    public S3Store(WorkingDirectories directories)
    {
        DataDirectory = Path.Combine(directories.For(S3Module.ServiceName), "objects");
        // Nothing references the files of an earlier run (a crash leaves its uploads behind); a load links them back.
        ClearDataDirectory();
    }

    public Lock Sync { get; } = new();

    public string DataDirectory { get; }

    public string PathOf(string file) => Path.Combine(DataDirectory, file);

    /// <summary>A fresh, unique object file name and its path (the file is not created).</summary>
    public (string File, string Path) NewFile()
    {
        var file = Guid.NewGuid().ToString("N") + ".bin";
        return (file, PathOf(file));
    }

    /// <summary>
    /// A fresh object file that is written outside the gate: a reset or load leaves it alone until <see cref="Commit"/>
    /// (under the lock, when it becomes an object or part) or <see cref="Abandon"/>.
    /// </summary>
    public string NewIncomingFile()
    {
        var (file, _) = NewFile();
        lock (Sync)
        {
            _incoming.Add(file);
        }

        return file;
    }

    /// <summary>The incoming file is now referenced by the state (or about to be dropped). Call under <see cref="Sync"/>.</summary>
    public void Commit(string file) => _incoming.Remove(file);

    /// <summary>Deletes an incoming file that never became part of the state (its upload failed or was cut off).</summary>
    public void Abandon(string file)
    {
        lock (Sync)
        {
            _incoming.Remove(file);
        }

        DeleteFiles(file);
    }

    /// <summary>
    /// Deletes files no longer referenced once the request is over, outside its service's gate (a file is deleted by name
    /// only; a GET that opened it keeps its bytes, and a committed snapshot keeps its own hard links).
    /// </summary>
    public void DeleteAfterResponse(HttpResponse response, params IEnumerable<string?> files)
    {
        var names = files.OfType<string>().ToArray();
        if (names.Length > 0)
        {
            response.OnCompleted(() =>
            {
                DeleteFiles(names);
                return Task.CompletedTask;
            });
        }
    }

    /// <summary>Deletes files no longer referenced; a committed snapshot keeps its own hard links, so this is always safe.</summary>
    public void DeleteFiles(params IEnumerable<string?> files)
    {
        foreach (var file in files)
        {
            if (file is null)
            {
                continue;
            }

            try
            {
                File.Delete(PathOf(file));
            }
            catch (IOException)
            {
                // An orphan file costs disk only; the next start clears the folder.
            }
        }
    }

    public S3Bucket? FindBucket(string accountId, string name)
        => _accounts.TryGetValue(accountId, out var buckets) && buckets.TryGetValue(name, out var bucket) ? bucket : null;

    public S3Bucket GetBucket(string accountId, string name) => FindBucket(accountId, name) ?? throw S3Exception.NoSuchBucket(name);

    public IEnumerable<S3Bucket> Buckets(string accountId)
        => _accounts.TryGetValue(accountId, out var buckets) ? buckets.Values.OrderBy(b => b.Name, StringComparer.Ordinal) : [];

    public bool TryAddBucket(string accountId, S3Bucket bucket)
    {
        if (!_accounts.TryGetValue(accountId, out var buckets))
        {
            _accounts[accountId] = buckets = new Dictionary<string, S3Bucket>(StringComparer.Ordinal);
        }

        return buckets.TryAdd(bucket.Name, bucket);
    }

    public void RemoveBucket(string accountId, string name)
    {
        if (_accounts.TryGetValue(accountId, out var buckets))
        {
            buckets.Remove(name);
        }
    }

    /// <summary>Every file the state references, with the asset name it is saved under.</summary>
    public IEnumerable<string> ReferencedFiles()
    {
        foreach (var bucket in _accounts.Values.SelectMany(b => b.Values))
        {
            foreach (var item in bucket.Objects.Values)
            {
                yield return item.File;
            }

            foreach (var upload in bucket.Uploads.Values.Where(u => !u.Completing))
            {
                foreach (var part in upload.Parts.Values)
                {
                    yield return part.File;
                }
            }
        }
    }

    public S3StateDocument ToDocument() => new(
        _accounts.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => new S3AccountDocument(
            a.Key,
            a.Value.Values.OrderBy(b => b.Name, StringComparer.Ordinal).Select(b => new S3BucketDocument(
                b.Name,
                b.Region,
                b.CreationDate,
                [.. b.Objects.Values],
                [.. b.Uploads.Values.Where(u => !u.Completing).OrderBy(u => u.UploadId, StringComparer.Ordinal)
                    .Select(u => new S3UploadDocument(u.UploadId, u.Key, u.Initiated, u.Attributes, [.. u.Parts.Values]))])).ToList())).ToList());

    /// <summary>Replaces the state; the files the document names must already be in the data folder.</summary>
    public void Load(S3StateDocument document)
    {
        _accounts.Clear();
        foreach (var account in document.Accounts)
        {
            foreach (var b in account.Buckets)
            {
                var bucket = new S3Bucket(b.Name, b.Region, b.CreationDate);
                foreach (var item in b.Objects)
                {
                    bucket.Objects[item.Key] = item;
                }

                foreach (var u in b.Uploads)
                {
                    var upload = new MultipartUpload(u.UploadId, u.Key, u.Initiated, u.Attributes);
                    foreach (var part in u.Parts)
                    {
                        upload.Parts[part.PartNumber] = part;
                    }

                    bucket.Uploads[upload.UploadId] = upload;
                }

                TryAddBucket(account.AccountId, bucket);
            }
        }
    }

    /// <summary>Forgets every bucket and deletes every object file, except those of uploads still arriving.</summary>
    public void Clear()
    {
        _accounts.Clear();
        foreach (var path in Directory.EnumerateFiles(DataDirectory))
        {
            if (!_incoming.Contains(Path.GetFileName(path)))
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>Whether <paramref name="file"/> is a name this store generates (so a snapshot cannot name a path outside the folder).</summary>
    public static bool IsValidFileName(string file)
        => file.Length == 36 && file.EndsWith(".bin", StringComparison.Ordinal) && Guid.TryParseExact(file[..32], "N", out _);

    private void ClearDataDirectory()
    {
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }

        Directory.CreateDirectory(DataDirectory);
    }
}
