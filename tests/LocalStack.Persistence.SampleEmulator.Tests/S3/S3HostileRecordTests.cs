using System.Text;
using LocalStack.Persistence.SampleEmulator.Aws;
using LocalStack.Persistence.SampleEmulator.S3;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace LocalStack.Persistence.SampleEmulator.Tests.S3;

/// <summary>
/// Keyed S3 snapshots whose records are well-formed snapshot files but hostile or inconsistent: the S3 provider refuses
/// each with a <see cref="SnapshotCorruptException"/> instead of serving a state that would break later requests. The
/// records are written by a keyed provider of the test under the service name s3, blobs included.
/// </summary>
public sealed class S3HostileRecordTests
{
    private const string Account = "000000000000";
    private const string Bytes = "object bytes";
    private const string Bucket = """{"Region":"us-east-1","CreationDate":"2026-01-01T12:00:00+00:00"}""";
    private const string File1 = "0123456789abcdef0123456789abcdef.bin";
    private const string File2 = "fedcba9876543210fedcba9876543210.bin";
    private const string Attributes = """{"ContentType":null,"Metadata":{},"Headers":{},"ChecksumAlgorithm":null}""";
    private const string Upload = $$"""{"Key":"up","Initiated":"2026-01-01T12:00:00+00:00","Attributes":{{Attributes}}}""";

    private static string Object(string key = "k", string file = File1, long size = 12, string attributes = Attributes, string blob = "$blob")
        => $$"""{"Object":{"Key":"{{key}}","File":"{{file}}","Size":{{size}},"ETag":"\"e\"","LastModified":"2026-01-01T12:00:00+00:00","Attributes":{{attributes}}},"Blob":"{{blob}}"}""";

    private static string Part(int number = 1, string file = File2) => $$"""{"Part":{"PartNumber":{{number}},"File":"{{file}}","Size":12,"Md5":"m","LastModified":"2026-01-01T12:00:00+00:00"},"Blob":"$blob"}""";

    public static IEnumerable<TestCaseData> Hostile()
    {
        TestCaseData Case(string name, params (string Key, string Json)[] records) => new TestCaseData((object)records).SetName(name);
        var bucket = ($"bucket/{Account}/bkt", Bucket);
        yield return Case("Object attributes null", bucket, ($"object/{Account}/bkt/k", Object(attributes: "null")));
        yield return Case("Object size not its blob's", bucket, ($"object/{Account}/bkt/k", Object(size: 13)));
        yield return Case("Object without its bucket", ($"object/{Account}/bkt/k", Object()));
        yield return Case("Object blob id not a blob id", bucket, ($"object/{Account}/bkt/k", Object(blob: "xyz")));
        yield return Case("Object under another object's key", bucket, ($"object/{Account}/bkt/other", Object()));
        yield return Case("Object file outside the working folder", bucket, ($"object/{Account}/bkt/k", Object(file: "../../escape.bin")));
        yield return Case("Two objects on one file", bucket, ($"object/{Account}/bkt/k", Object()), ($"object/{Account}/bkt/j", Object(key: "j")));
        yield return Case("Part without its upload", bucket, ($"part/{Account}/bkt/u1/1", Part()));
        yield return Case("Part number 0", bucket, ($"upload/{Account}/bkt/u1", Upload), ($"part/{Account}/bkt/u1/0", Part(number: 0)));
        yield return Case("Record of an unknown kind", bucket, ($"table/{Account}/bkt", Bucket));
        yield return Case("Bucket record of the wrong shape", ($"bucket/{Account}/bkt", "\"a string\""));
    }

    [TestCaseSource(nameof(Hostile))]
    public async Task Is_refused_as_corrupt((string Key, string Json)[] records)
    {
        using var volume = new TempDirectory();
        await SaveAsync(volume.Path, records);
        var (error, _) = await LoadAsync(volume.Path);
        Assert.That(error, Is.InstanceOf<SnapshotCorruptException>(), error?.ToString() ?? "loaded");
        TestContext.Out.WriteLine(error!.Message);
    }

    /// <summary>The control: the same harness with consistent records loads, so the refusals above are the records'.</summary>
    [Test]
    public async Task Consistent_records_load()
    {
        using var volume = new TempDirectory();
        await SaveAsync(volume.Path, [($"bucket/{Account}/bkt", Bucket), ($"object/{Account}/bkt/k", Object()), ($"upload/{Account}/bkt/u1", Upload), ($"part/{Account}/bkt/u1/1", Part())]);
        var (error, store) = await LoadAsync(volume.Path);
        Assert.That(error, Is.Null);
        lock (store.Sync)
        {
            var bucket = store.GetBucket(Account, "bkt");
            Assert.That(File.ReadAllText(store.PathOf(bucket.Objects["k"].File)), Is.EqualTo(Bytes));
            Assert.That(bucket.Uploads["u1"].Parts[1].Size, Is.EqualTo(12));
        }
    }

    private static async Task SaveAsync(string volume, (string Key, string Json)[] records)
    {
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(volume, "state") });
        await new ServiceSnapshotter(store).SaveAsync(new RecordsProvider(records));
    }

    private static async Task<(Exception? Error, S3Store Store)> LoadAsync(string volume)
    {
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(volume, "state") });
        var directories = new WorkingDirectories(new ServiceCollection().AddSingleton<ISnapshotStore>(store).BuildServiceProvider());
        var s3 = new S3Store(directories);
        try
        {
            await new ServiceSnapshotter(store).LoadAsync(new S3StateProvider(s3));
            return (null, s3);
        }
        catch (Exception e)
        {
            return (e, s3);
        }
    }

    /// <summary>Writes the given records as the s3 service's keyed base; "$blob" in a value is the blob of <see cref="Bytes"/>.</summary>
    private sealed class RecordsProvider((string Key, string Json)[] records) : KeyedStateProvider(S3Module.ServiceName)
    {
        private string _blob = string.Empty;

        protected override async ValueTask OnCapturingAsync(SnapshotContext context, IReadOnlyCollection<string>? changedKeys, CancellationToken cancellationToken)
            => _blob = await context.StoreBlobAsync(Encoding.UTF8.GetBytes(Bytes), cancellationToken);

        protected override IEnumerable<string> GetKeys() => records.Select(r => r.Key);

        protected override bool TryWriteValue(string key, KeyedValueWriter writer)
        {
            var json = records.Single(r => r.Key == key).Json;
            if (json.Contains("$blob", StringComparison.Ordinal))
            {
                writer.ReferenceBlob(_blob);
            }

            writer.Json.WriteRawValue(json.Replace("$blob", _blob, StringComparison.Ordinal), skipInputValidation: true);
            return true;
        }

        protected override void Clear() => throw new NotSupportedException();

        protected override void ApplyValue(string key, ReadOnlySpan<byte> utf8Json, SnapshotContext context) => throw new NotSupportedException();

        protected override void ApplyRemoval(string key, SnapshotContext context) => throw new NotSupportedException();
    }
}
