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

    // Persistence bookkeeping (S3StateProvider): the record keys changed are reported to _changed; every file the state
    // references is either awaiting its blob (_unstored), stored by a save not yet committed (_tentative) or stored by a
    // committed save (_blobs), so a save hashes new files only.
    private readonly HashSet<string> _unstored = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _tentative = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _blobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _longKeys = new(StringComparer.Ordinal);
    private Action<string>? _changed;

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

    /// <summary>Every bucket with its account.</summary>
    public IEnumerable<(string AccountId, S3Bucket Bucket)> AllBuckets()
        => _accounts.SelectMany(a => a.Value.Values.Select(b => (a.Key, b)));

    /// <summary>Reports every record key a mutation changes (the persistence provider's MarkChanged).</summary>
    public void TrackChanges(Action<string> changed) => _changed = changed;

    public bool TryAddBucket(string accountId, S3Bucket bucket)
    {
        if (!_accounts.TryGetValue(accountId, out var buckets))
        {
            _accounts[accountId] = buckets = new Dictionary<string, S3Bucket>(StringComparer.Ordinal);
        }

        if (!buckets.TryAdd(bucket.Name, bucket))
        {
            return false;
        }

        Changed(S3RecordKeys.Bucket(accountId, bucket.Name));
        foreach (var item in bucket.Objects.Values)
        {
            ObjectAdded(accountId, bucket.Name, item.Key, item.File);
        }

        foreach (var upload in bucket.Uploads.Values)
        {
            UploadChanged(accountId, bucket.Name, upload, referenceParts: true);
        }

        return true;
    }

    /// <summary>Removes a bucket with its objects and uploads; returns the files they referenced, for the caller to delete.</summary>
    public IReadOnlyList<string> RemoveBucket(string accountId, string name)
    {
        if (!_accounts.TryGetValue(accountId, out var buckets) || !buckets.Remove(name, out var bucket))
        {
            return [];
        }

        if (buckets.Count == 0)
        {
            _accounts.Remove(accountId); // an account is its buckets: saved as bucket records, it has no record of its own
        }

        Changed(S3RecordKeys.Bucket(accountId, name));
        var files = new List<string>();
        foreach (var key in bucket.Objects.Keys.ToArray())
        {
            files.Add(RemoveObject(accountId, bucket, key)!);
        }

        foreach (var uploadId in bucket.Uploads.Keys.ToArray())
        {
            var upload = RemoveUpload(accountId, bucket, uploadId)!;
            if (!upload.Completing)
            {
                files.AddRange(upload.Parts.Values.Select(p => p.File)); // a completion still reads its parts and deletes them itself
            }
        }

        return files;
    }

    /// <summary>Adds or replaces an object; returns the replaced object's file (no longer referenced) or <see langword="null"/>.</summary>
    public string? PutObject(string accountId, S3Bucket bucket, S3Object item)
    {
        var old = bucket.Objects.TryGetValue(item.Key, out var previous) ? previous.File : null;
        bucket.Objects[item.Key] = item;
        Unreference(old);
        ObjectAdded(accountId, bucket.Name, item.Key, item.File);
        return old;
    }

    /// <summary>Removes an object; returns its file (no longer referenced) or <see langword="null"/> when there was none.</summary>
    public string? RemoveObject(string accountId, S3Bucket bucket, string key)
    {
        if (!bucket.Objects.Remove(key, out var removed))
        {
            return null;
        }

        var recordKey = S3RecordKeys.Object(accountId, bucket.Name, key);
        _longKeys.Remove(recordKey);
        Changed(recordKey);
        Unreference(removed.File);
        return removed.File;
    }

    public void AddUpload(string accountId, S3Bucket bucket, MultipartUpload upload)
    {
        bucket.Uploads[upload.UploadId] = upload;
        UploadChanged(accountId, bucket.Name, upload, referenceParts: true);
    }

    /// <summary>Adds or replaces a part; returns the replaced part's file (no longer referenced) or <see langword="null"/>.</summary>
    public string? PutPart(string accountId, string bucketName, MultipartUpload upload, S3Part part)
    {
        var old = upload.Parts.TryGetValue(part.PartNumber, out var previous) ? previous.File : null;
        upload.Parts[part.PartNumber] = part;
        Unreference(old);
        Reference(part.File);
        Changed(S3RecordKeys.Part(accountId, bucketName, upload.UploadId, part.PartNumber));
        return old;
    }

    /// <summary>Marks an upload as being completed (it is then not saved: a load never sees it half completed) or back as in progress.</summary>
    public void SetCompleting(string accountId, string bucketName, MultipartUpload upload, bool completing)
    {
        upload.Completing = completing;
        UploadChanged(accountId, bucketName, upload, referenceParts: false);
    }

    /// <summary>Removes an upload; its part files are no longer referenced (the caller deletes them).</summary>
    public MultipartUpload? RemoveUpload(string accountId, S3Bucket bucket, string uploadId)
    {
        if (!bucket.Uploads.Remove(uploadId, out var upload))
        {
            return null;
        }

        Changed(S3RecordKeys.Upload(accountId, bucket.Name, uploadId));
        foreach (var part in upload.Parts.Values)
        {
            Changed(S3RecordKeys.Part(accountId, bucket.Name, uploadId, part.PartNumber));
            Unreference(part.File);
        }

        return upload;
    }

    /// <summary>The object key of a long object record key (<see cref="S3RecordKeys.Object"/> hashed it), or <see langword="null"/>.</summary>
    public string? LongObjectKey(string recordKey) => _longKeys.GetValueOrDefault(recordKey);

    /// <summary>The referenced files whose bytes a save must store as blobs: new ones, and those of a save that did not commit.</summary>
    public string[] FilesToStore() => [.. _unstored, .. _tentative.Keys];

    /// <summary>A save stored <paramref name="file"/> as blob <paramref name="blobId"/> (kept tentative until <see cref="BlobsCommitted"/>).</summary>
    public void BlobStored(string file, string blobId)
    {
        if (_unstored.Remove(file) || _tentative.ContainsKey(file))
        {
            _tentative[file] = blobId;
        }
    }

    /// <summary>The save that stored the tentative blobs committed: they stay as long as a record references them.</summary>
    public void BlobsCommitted()
    {
        foreach (var (file, blobId) in _tentative)
        {
            _blobs[file] = blobId;
        }

        _tentative.Clear();
    }

    /// <summary>The blob of a referenced file, stored by <see cref="BlobStored"/> or loaded with the state.</summary>
    /// <exception cref="InvalidOperationException">The file has no blob: it became referenced without going through this store.</exception>
    public string BlobOf(string file)
        => _tentative.TryGetValue(file, out var id) || _blobs.TryGetValue(file, out id)
            ? id
            : throw new InvalidOperationException($"S3 object file '{file}' has no stored blob: it was referenced without S3Store recording it, so its bytes would not be saved.");

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

    /// <summary>
    /// Replaces the state; the files the document names must already be in the data folder. <paramref name="blobIds"/>
    /// (file to blob id) are the blobs the files were loaded from; files without one are stored by the next save.
    /// </summary>
    public void Load(S3StateDocument document, IReadOnlyDictionary<string, string>? blobIds = null)
    {
        ClearTracking();
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

        foreach (var (file, blobId) in blobIds ?? new Dictionary<string, string>())
        {
            if (_unstored.Remove(file))
            {
                _blobs[file] = blobId;
            }
        }
    }

    /// <summary>Forgets every bucket and deletes every object file, except those of uploads still arriving.</summary>
    public void Clear()
    {
        ClearTracking();
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

    private void Changed(string recordKey) => _changed?.Invoke(recordKey);

    private void ObjectAdded(string accountId, string bucketName, string key, string file)
    {
        var recordKey = S3RecordKeys.Object(accountId, bucketName, key);
        if (S3RecordKeys.IsHashed(recordKey))
        {
            _longKeys[recordKey] = key;
        }

        Reference(file);
        Changed(recordKey);
    }

    private void UploadChanged(string accountId, string bucketName, MultipartUpload upload, bool referenceParts)
    {
        Changed(S3RecordKeys.Upload(accountId, bucketName, upload.UploadId));
        foreach (var part in upload.Parts.Values)
        {
            if (referenceParts)
            {
                Reference(part.File);
            }

            Changed(S3RecordKeys.Part(accountId, bucketName, upload.UploadId, part.PartNumber));
        }
    }

    private void Reference(string file) => _unstored.Add(file);

    private void Unreference(string? file)
    {
        if (file is not null)
        {
            _unstored.Remove(file);
            _tentative.Remove(file);
            _blobs.Remove(file);
        }
    }

    private void ClearTracking()
    {
        _unstored.Clear();
        _tentative.Clear();
        _blobs.Clear();
        _longKeys.Clear();
    }

    private void ClearDataDirectory()
    {
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }

        Directory.CreateDirectory(DataDirectory);
    }
}
