using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>
/// Persists S3 as keyed records, so that a save writes only what changed: one record per bucket
/// (<c>bucket/&lt;account&gt;/&lt;bucket&gt;</c>: region, creation date), per object
/// (<c>object/&lt;account&gt;/&lt;bucket&gt;/&lt;key&gt;</c>, or <c>object#/&lt;account&gt;/&lt;bucket&gt;/&lt;sha-256&gt;</c> when the
/// record key would pass 1,024 bytes: the object's metadata, size, ETag, checksums, headers and the blob of its bytes),
/// per multipart upload (<c>upload/&lt;account&gt;/&lt;bucket&gt;/&lt;upload id&gt;</c>: key, start, attributes) and per part
/// (<c>part/&lt;account&gt;/&lt;bucket&gt;/&lt;upload id&gt;/&lt;number&gt;</c>: the part and its blob), each a JSON value of
/// <see cref="S3JsonContext"/>. A part is its own record so that uploading part n costs one record, not n.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="S3Store"/> reports every key its mutations change and every file the state starts or stops referencing.
/// A save first stores the bytes of the files referenced since the last save as blobs (<see cref="OnCapturingAsync"/>,
/// a hard link: object files are never written in place, only created and deleted); the blob id of each file is
/// remembered, so an unchanged object is never hashed again. An upload being completed is not saved (as before: a load
/// never sees it half completed).
/// </para>
/// <para>
/// A load collects the records, then (<see cref="OnRestoredAsync"/>) checks them as a whole, links each blob into the
/// working folder as its object's file and checks its size. A snapshot written before S3 was keyed (a JSON document and
/// an asset generation with the files under <c>objects/</c>) is restored by <see cref="RestoreWholeStateAsync"/>; the
/// next save writes a keyed base with blobs and the old generation is pruned.
/// </para>
/// </remarks>
internal sealed partial class S3StateProvider : KeyedStateProvider, IStateLifecycleHook
{
    private const string AssetFolder = "objects/";

    private readonly S3Store _store;

    // The records of a load, by record key: applied to the store once all are read, after checking them together.
    private readonly Dictionary<string, (string Account, string Bucket, S3BucketRecord Record)> _loadedBuckets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Account, string Bucket, S3ObjectRecord Record)> _loadedObjects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Account, string Bucket, string UploadId, S3UploadRecord Record)> _loadedUploads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Account, string Bucket, string UploadId, S3PartRecord Record)> _loadedParts = new(StringComparer.Ordinal);

    public S3StateProvider(S3Store store)
        : base(S3Module.ServiceName)
    {
        _store = store;
        store.TrackChanges(MarkChanged);
    }

    /// <summary>
    /// Stores the bytes of the files referenced since the last committed save as blobs (the exclusive gate is held). The
    /// store tracks those files itself, so the changed keys are not needed (a full base needs no more: the files of
    /// unchanged records have their blobs).
    /// </summary>
    protected override async ValueTask OnCapturingAsync(SnapshotContext context, IReadOnlyCollection<string>? changedKeys, CancellationToken cancellationToken)
    {
        string[] files;
        lock (_store.Sync)
        {
            files = _store.FilesToStore();
        }

        foreach (var file in files)
        {
            var blobId = await context.StoreBlobAsync(_store.PathOf(file), cancellationToken);
            lock (_store.Sync)
            {
                _store.BlobStored(file, blobId);
            }
        }
    }

    /// <summary>The blobs of this save are now referenced by a committed snapshot: they need not be stored again.</summary>
    ValueTask IStateLifecycleHook.OnAfterSaveAsync(string serviceName, CancellationToken cancellationToken)
    {
        lock (_store.Sync)
        {
            _store.BlobsCommitted();
        }

        return ValueTask.CompletedTask;
    }

    protected override IEnumerable<string> GetKeys()
    {
        var keys = new List<string>();
        lock (_store.Sync)
        {
            foreach (var (account, bucket) in _store.AllBuckets())
            {
                keys.Add(S3RecordKeys.Bucket(account, bucket.Name));
                keys.AddRange(bucket.Objects.Keys.Select(key => S3RecordKeys.Object(account, bucket.Name, key)));
                foreach (var upload in bucket.Uploads.Values)
                {
                    keys.Add(S3RecordKeys.Upload(account, bucket.Name, upload.UploadId));
                    keys.AddRange(upload.Parts.Keys.Select(number => S3RecordKeys.Part(account, bucket.Name, upload.UploadId, number)));
                }
            }
        }

        return keys;
    }

    protected override bool TryWriteValue(string key, KeyedValueWriter writer)
    {
        lock (_store.Sync)
        {
            if (S3RecordKeys.Split(key, S3RecordKeys.BucketPrefix, 2) is [var account, var name])
            {
                return _store.FindBucket(account, name) is { } bucket
                    && Write(writer, new S3BucketRecord(bucket.Region, bucket.CreationDate), S3JsonContext.Default.S3BucketRecord);
            }

            if ((S3RecordKeys.Split(key, S3RecordKeys.ObjectPrefix, 3) ?? S3RecordKeys.Split(key, S3RecordKeys.HashedObjectPrefix, 3)) is [var a, var b, var rest])
            {
                var objectKey = S3RecordKeys.IsHashed(key) ? _store.LongObjectKey(key) : rest;
                if (objectKey is null || _store.FindBucket(a, b) is not { } bucket || !bucket.Objects.TryGetValue(objectKey, out var item))
                {
                    return false;
                }

                var blob = _store.BlobOf(item.File);
                writer.ReferenceBlob(blob);
                return Write(writer, new S3ObjectRecord(item, blob), S3JsonContext.Default.S3ObjectRecord);
            }

            if (S3RecordKeys.Split(key, S3RecordKeys.UploadPrefix, 3) is [var ua, var ub, var uploadId])
            {
                return FindSavedUpload(ua, ub, uploadId) is { } upload
                    && Write(writer, new S3UploadRecord(upload.Key, upload.Initiated, upload.Attributes), S3JsonContext.Default.S3UploadRecord);
            }

            if (S3RecordKeys.Split(key, S3RecordKeys.PartPrefix, 4) is [var pa, var pb, var pu, var number]
                && int.TryParse(number, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var partNumber))
            {
                if (FindSavedUpload(pa, pb, pu) is not { } upload || !upload.Parts.TryGetValue(partNumber, out var part))
                {
                    return false;
                }

                var blob = _store.BlobOf(part.File);
                writer.ReferenceBlob(blob);
                return Write(writer, new S3PartRecord(part, blob), S3JsonContext.Default.S3PartRecord);
            }
        }

        throw new InvalidOperationException($"'{key}' is not an S3 record key.");
    }

    protected override void Clear()
    {
        ClearLoaded();
        lock (_store.Sync)
        {
            _store.Clear();
        }
    }

    protected override void ApplyValue(string key, ReadOnlySpan<byte> utf8Json, SnapshotContext context)
    {
        var location = context.SnapshotLocation ?? ServiceName;
        if (S3RecordKeys.Split(key, S3RecordKeys.BucketPrefix, 2) is [var account, var name])
        {
            _loadedBuckets[key] = (account, name, Read(key, utf8Json, S3JsonContext.Default.S3BucketRecord, location));
        }
        else if ((S3RecordKeys.Split(key, S3RecordKeys.ObjectPrefix, 3) ?? S3RecordKeys.Split(key, S3RecordKeys.HashedObjectPrefix, 3)) is [var a, var b, _])
        {
            var record = Read(key, utf8Json, S3JsonContext.Default.S3ObjectRecord, location);
            if (record.Object?.Key is not { Length: > 0 } objectKey || S3RecordKeys.Object(a, b, objectKey) != key)
            {
                throw new SnapshotCorruptException(location, $"its record '{key}' holds object '{record.Object?.Key}', which is not the object of that key.");
            }

            _loadedObjects[key] = (a, b, record);
        }
        else if (S3RecordKeys.Split(key, S3RecordKeys.UploadPrefix, 3) is [var ua, var ub, var uploadId])
        {
            _loadedUploads[key] = (ua, ub, uploadId, Read(key, utf8Json, S3JsonContext.Default.S3UploadRecord, location));
        }
        else if (S3RecordKeys.Split(key, S3RecordKeys.PartPrefix, 4) is [var pa, var pb, var pu, var number])
        {
            var record = Read(key, utf8Json, S3JsonContext.Default.S3PartRecord, location);
            if (record.Part is null || S3RecordKeys.Part(pa, pb, pu, record.Part.PartNumber) != key)
            {
                throw new SnapshotCorruptException(location, $"its record '{key}' holds part {record.Part?.PartNumber}, which is not the part of that key ({number}).");
            }

            _loadedParts[key] = (pa, pb, pu, record);
        }
        else
        {
            throw new SnapshotCorruptException(location, $"its record '{key}' is not an S3 bucket, object, upload or part.");
        }
    }

    protected override void ApplyRemoval(string key, SnapshotContext context)
    {
        _loadedBuckets.Remove(key);
        _loadedObjects.Remove(key);
        _loadedUploads.Remove(key);
        _loadedParts.Remove(key);
    }

    protected override ValueTask OnRestoredAsync(SnapshotContext context, CancellationToken cancellationToken)
    {
        try
        {
            var location = context.SnapshotLocation ?? ServiceName;
            var document = AssembleLoaded(location);
            var blobs = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (file, blob) in _loadedObjects.Values.Select(o => (o.Record.Object.File, o.Record.Blob))
                .Concat(_loadedParts.Values.Select(p => (p.Record.Part.File, p.Record.Blob))))
            {
                if (!SnapshotContext.IsValidBlobId(blob))
                {
                    throw new SnapshotCorruptException(location, $"it gives object file '{file}' the blob id '{blob}', which is not a blob id.");
                }

                if (file is not null && !blobs.TryAdd(file, blob))
                {
                    throw new SnapshotCorruptException(location, $"two of its records name object file '{file}'; every object and part has a file of its own.");
                }
            }

            LoadDocument(document, location, file => context.GetBlobPath(blobs[file]), $"its blobs", blobs, cancellationToken);
            return ValueTask.CompletedTask;
        }
        finally
        {
            ClearLoaded();
        }
    }

    /// <summary>A snapshot written before S3 was keyed: the whole JSON document, its files in the asset generation.</summary>
    protected override async ValueTask RestoreWholeStateAsync(SnapshotPayload payload, SnapshotContext context, CancellationToken cancellationToken)
    {
        var location = context.SnapshotLocation ?? ServiceName;
        S3StateDocument? document;
        try
        {
            document = await JsonSerializer.DeserializeAsync(payload.Content, S3JsonContext.Default.S3StateDocument, cancellationToken);
        }
        catch (JsonException e)
        {
            throw new SnapshotCorruptException(location, $"its payload does not match the state of service '{ServiceName}': {e.Message}", e);
        }

        var assets = context.AssetDirectory ?? ServiceName;
        LoadDocument(
            document,
            location,
            file => context.GetAssetPath(AssetFolder + file)
                ?? throw new SnapshotCorruptException(assets, $"its object file '{file}' is missing from asset generation {context.Generation}."),
            $"asset generation {context.Generation}",
            blobIds: null,
            cancellationToken);
    }

    /// <summary>
    /// Checks a restored document, links each of its files from <paramref name="sourceOf"/> into the working folder,
    /// checks every size against its file, and makes the document live.
    /// </summary>
    private void LoadDocument(S3StateDocument? document, string location, Func<string, string> sourceOf, string sourceName, IReadOnlyDictionary<string, string>? blobIds, CancellationToken cancellationToken)
    {
        if (S3StateValidator.FindProblem(document) is { } problem)
        {
            throw new SnapshotCorruptException(location, problem + ".");
        }

        // The size a listing reports and the bytes a GET sends must agree: check every size against its file.
        var sizes = document!.Accounts.SelectMany(a => a.Buckets)
            .SelectMany(b => b.Objects.Select(o => (o.File, o.Size)).Concat(b.Uploads.SelectMany(u => u.Parts.Select(p => (p.File, p.Size)))))
            .ToArray();
        lock (_store.Sync)
        {
            _store.Clear();
            var linked = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (file, size) in sizes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!S3Store.IsValidFileName(file))
                {
                    throw new SnapshotCorruptException(location, $"it names object file '{file}', which is not a file name the S3 emulator writes.");
                }

                if (!linked.Add(file))
                {
                    continue;
                }

                var source = sourceOf(file);
                var length = new FileInfo(source).Length;
                if (length != size)
                {
                    _store.Clear();
                    throw new SnapshotCorruptException(location, $"it gives object file '{file}' a size of {size} bytes, but its bytes in {sourceName} are {length}.");
                }

                LinkOrCopy(source, _store.PathOf(file));
            }

            _store.Load(document, blobIds);
        }
    }

    /// <summary>The loaded records as one document; every object, upload and part must belong to a loaded bucket and upload.</summary>
    private S3StateDocument AssembleLoaded(string location)
    {
        var buckets = _loadedBuckets.Values.ToDictionary(
            b => (b.Account, b.Bucket),
            b => new S3BucketDocument(b.Bucket, b.Record?.Region!, b.Record?.CreationDate ?? default, [], []));
        var uploads = new Dictionary<(string, string, string), S3UploadDocument>();
        foreach (var (account, bucket, uploadId, record) in _loadedUploads.Values)
        {
            var upload = new S3UploadDocument(uploadId, record.Key, record.Initiated, record.Attributes, []);
            BucketOf(account, bucket, $"upload '{uploadId}'").Uploads.Add(upload);
            uploads[(account, bucket, uploadId)] = upload;
        }

        foreach (var (account, bucket, record) in _loadedObjects.Values)
        {
            BucketOf(account, bucket, $"object '{record.Object.Key}'").Objects.Add(record.Object);
        }

        foreach (var (account, bucket, uploadId, record) in _loadedParts.Values.OrderBy(p => p.Record.Part.PartNumber))
        {
            if (!uploads.TryGetValue((account, bucket, uploadId), out var upload))
            {
                throw new SnapshotCorruptException(location, $"it has part {record.Part.PartNumber} of upload '{uploadId}' in bucket '{bucket}' of account {account}, but not that upload.");
            }

            upload.Parts.Add(record.Part);
        }

        return new S3StateDocument([.. buckets.GroupBy(b => b.Key.Account, b => b.Value).Select(g => new S3AccountDocument(g.Key, [.. g]))]);

        S3BucketDocument BucketOf(string account, string bucket, string what)
            => buckets.GetValueOrDefault((account, bucket))
                ?? throw new SnapshotCorruptException(location, $"it has {what} of bucket '{bucket}' in account {account}, but not that bucket.");
    }

    /// <summary>The upload as a save sees it: not one being completed (it is saved as removed until the completion fails).</summary>
    private MultipartUpload? FindSavedUpload(string account, string bucket, string uploadId)
        => _store.FindBucket(account, bucket) is { } b && b.Uploads.TryGetValue(uploadId, out var upload) && !upload.Completing ? upload : null;

    private void ClearLoaded()
    {
        _loadedBuckets.Clear();
        _loadedObjects.Clear();
        _loadedUploads.Clear();
        _loadedParts.Clear();
    }

    private static bool Write<T>(KeyedValueWriter writer, T value, JsonTypeInfo<T> typeInfo)
    {
        JsonSerializer.Serialize(writer.Json, value, typeInfo);
        return true;
    }

    private static T Read<T>(string key, ReadOnlySpan<byte> utf8Json, JsonTypeInfo<T> typeInfo, string location)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(utf8Json, typeInfo)
                ?? throw new SnapshotCorruptException(location, $"its record '{key}' is JSON null.");
        }
        catch (JsonException e)
        {
            throw new SnapshotCorruptException(location, $"its record '{key}' does not match an S3 {typeof(T).Name[2..^6].ToLowerInvariant()} record: {e.Message}", e);
        }
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
