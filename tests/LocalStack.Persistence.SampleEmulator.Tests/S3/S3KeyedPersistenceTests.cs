using System.Diagnostics;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using LocalStack.Persistence.SampleEmulator.Aws;
using LocalStack.Persistence.SampleEmulator.S3;
using LocalStack.Persistence.SampleEmulator.Tests.Kit;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LocalStack.Persistence.SampleEmulator.Tests.S3;

/// <summary>
/// S3 saved as keyed records and blobs: a save writes the records that changed (a delta) and the bytes of new objects
/// only, and what loads from disk is exactly the live state, whatever sequence of S3 operations came before.
/// </summary>
public sealed class S3KeyedPersistenceTests
{
    private static readonly string[] Buckets = ["pb-alpha", "pb-beta", "pb-gamma"];

    // The long key makes an object record key of more than 1,024 bytes: it is saved under its hash.
    private static readonly string[] Keys = ["k1", "dir/k2", "dir/sub/k3", "k4 with space", new string('L', 1000)];

    private static readonly string[] Accounts = ["test", "111122223333"];

    /// <summary>
    /// The central check: a long random sequence of S3 operations through the real SDK, saved after random steps;
    /// after every save the state loaded back from disk (POST load) has the same document (buckets, objects, uploads,
    /// parts, file names) and the same bytes in every file as the live state had. A mutation whose record key is not
    /// marked changed is lost by the delta and shows up here. At the end, a fresh start on the volume loads it again.
    /// </summary>
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public async Task Random_operations_saved_at_random_steps_load_back_exactly_the_live_state(int seed)
    {
        using var volume = new TempDirectory();
        var clock = new FakeTimeProvider(SampleProviders.Start);
        var random = new Random(seed);
        var model = new Model();
        string described;
        var saves = 0;
        var deltasSeen = false;
        await using (var emulator = await InProcessS3Emulator.StartAsync(volume.Path, clock))
        {
            var clients = Accounts.Select(a => emulator.CreateClient(a)).ToArray();
            try
            {
                for (var step = 0; step < 400; step++)
                {
                    clock.Advance(TimeSpan.FromSeconds(1));
                    await RandomOperationAsync(random, clients, model);
                    if (random.Next(8) == 0)
                    {
                        await SaveAndCompareAsync(emulator);
                        saves++;
                        deltasSeen |= Directory.EnumerateFiles(volume.Path, "store.delta.*", SearchOption.AllDirectories).Any();
                    }
                }

                await SaveAndCompareAsync(emulator);
                described = emulator.Describe();
            }
            finally
            {
                foreach (var client in clients)
                {
                    client.Dispose();
                }
            }
        }

        await using (var restarted = await InProcessS3Emulator.StartAsync(volume.Path, clock))
        {
            Assert.That(restarted.Describe(), Is.EqualTo(described), "a fresh start loads the last save");
        }

        TestContext.Out.WriteLine($"seed {seed}: {saves} saves, final state {described.Length} characters");
        Assert.That(deltasSeen, Is.True, "the saves wrote deltas (the path under test)");
    }

    /// <summary>
    /// A snapshot written before S3 was keyed (the JSON document, object files hard-linked into an asset generation)
    /// loads; the next save writes a keyed base whose object bytes are blobs, and prunes the old generation folder; that
    /// base loads back to the same state.
    /// </summary>
    [Test]
    public async Task A_v1_snapshot_loads_and_its_next_save_writes_a_keyed_base_with_blobs_and_prunes_the_old_generation()
    {
        using var volume = new TempDirectory();
        var state = Path.Combine(volume.Path, "state");
        string v1;
        using (var directories = new WorkingDirectories(new ServiceCollection().BuildServiceProvider()))
        {
            var legacy = new S3Store(directories);
            SampleWorkload.PutS3(legacy, SampleProviders.Start);
            using (var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = state }))
            {
                await new ServiceSnapshotter(store).SaveAsync(new V1S3StateProvider(legacy));
            }

            v1 = DescribeWithoutFileNames(legacy);
        }

        var generations = Path.Combine(state, "s3");
        var oldGenerations = Directory.GetDirectories(generations).Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)).ToArray();
        Assert.That(oldGenerations, Has.Length.EqualTo(1), "the v1 save staged its object files in one generation folder");

        await using var emulator = await InProcessS3Emulator.StartAsync(volume.Path, new FakeTimeProvider(SampleProviders.Start));
        Assert.That(DescribeWithoutFileNames(emulator.Store), Is.EqualTo(v1), "the v1 snapshot loads");

        var loaded = emulator.Describe();
        await emulator.StateAsync("save");
        var blobs = Directory.EnumerateFiles(Path.Combine(generations, "blobs"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToArray();
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(Directory.Exists(Path.Combine(generations, oldGenerations[0]!)), Is.False, "the old generation folder is pruned");
            Assert.That(blobs, Has.Length.EqualTo(4), "one blob per distinct content: alpha, bravo bytes, the empty object, part one");
            Assert.That(Directory.EnumerateFiles(state, "store.delta.*", SearchOption.AllDirectories), Is.Empty, "the conversion is a full base");
            await emulator.StateAsync("load");
            Assert.That(emulator.Describe(), Is.EqualTo(loaded), "the keyed base loads back to the same state");
        });
    }

    /// <summary>
    /// A blob stored by a save that then failed is not referenced by any committed snapshot, so garbage collection may
    /// remove it: the next save stores it again instead of trusting the id it remembered, and the state loads.
    /// </summary>
    [Test]
    public async Task A_blob_of_a_failed_save_is_stored_again_by_the_next_save()
    {
        using var volume = new TempDirectory();
        var service = Path.Combine(volume.Path, "state", "api_states", "s3");
        await using var emulator = await InProcessS3Emulator.StartAsync(volume.Path, new FakeTimeProvider(SampleProviders.Start));
        using var s3 = emulator.CreateClient();
        await s3.PutBucketAsync("failing-save");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "failing-save", Key = "first", ContentBody = "first bytes" });
        await emulator.StateAsync("save");

        // The next save is a delta: a folder where its file goes makes it fail after its blobs are stored.
        const string content = "bytes of a failed save";
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "failing-save", Key = "second", ContentBody = content });
        var blocker = Directory.CreateDirectory(Path.Combine(service, "store.delta.00000000000000000002"));
        using (var http = new HttpClient { BaseAddress = new Uri(emulator.ServiceUrl) })
        using (var failed = await http.PostAsync("/_localstack/state/s3/save", content: null))
        {
            Assert.That(failed.IsSuccessStatusCode, Is.False, "the save fails");
        }

        var blob = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(content)));
        var blobFile = Path.Combine(volume.Path, "state", "s3", "blobs", blob[..2], blob);
        Assert.That(File.Exists(blobFile), Is.True, "the failed save stored the blob");
        blocker.Delete();
        File.Delete(blobFile); // what a sweep may do: no committed snapshot references it

        await emulator.StateAsync("save");
        var live = emulator.Describe();
        await emulator.StateAsync("load");
        Assert.That(emulator.Describe(), Is.EqualTo(live));
    }

    private static async Task SaveAndCompareAsync(InProcessS3Emulator emulator)
    {
        await emulator.StateAsync("save");
        var live = emulator.Describe();
        await emulator.StateAsync("load");
        Assert.That(emulator.Describe(), Is.EqualTo(live), "the state loaded from disk is the live state of the save");
    }

    private static string DescribeWithoutFileNames(S3Store store)
    {
        lock (store.Sync)
        {
            var document = store.ToDocument();
            return string.Join('\n', document.Accounts.SelectMany(a => a.Buckets.SelectMany(b =>
                b.Objects.Select(o => $"{a.AccountId}/{b.Name}/{o.Key} {o.Size} {o.ETag} {o.LastModified:O} {File.ReadAllText(store.PathOf(o.File))}")
                    .Concat(b.Uploads.SelectMany(u => u.Parts.Select(p => $"{a.AccountId}/{b.Name} upload {u.UploadId} {u.Key} part {p.PartNumber} {p.Md5} {File.ReadAllText(store.PathOf(p.File))}"))))));
        }
    }

    private static async Task RandomOperationAsync(Random random, AmazonS3Client[] clients, Model model)
    {
        var account = random.Next(clients.Length);
        var s3 = clients[account];
        var bucket = Buckets[random.Next(Buckets.Length)];
        var key = Keys[random.Next(Keys.Length)];
        try
        {
            switch (random.Next(100))
            {
                case < 10:
                    await s3.PutBucketAsync(bucket);
                    break;
                case < 14:
                    await s3.DeleteBucketAsync(bucket);
                    break;
                case < 17:
                    var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
                    if (listed.S3Objects?.Count > 0)
                    {
                        await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Objects = [.. listed.S3Objects.Select(o => new KeyVersion { Key = o.Key })] });
                    }

                    await s3.DeleteBucketAsync(bucket);
                    break;
                case < 45:
                    var put = new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(Content(random)) };
                    if (random.Next(3) == 0)
                    {
                        put.ContentType = "text/plain";
                        put.Metadata.Add("step", random.Next(1000).ToString(System.Globalization.CultureInfo.InvariantCulture));
                        put.ChecksumAlgorithm = ChecksumAlgorithm.SHA256;
                    }

                    await s3.PutObjectAsync(put);
                    break;
                case < 53:
                    await s3.CopyObjectAsync(new CopyObjectRequest
                    {
                        SourceBucket = Buckets[random.Next(Buckets.Length)],
                        SourceKey = Keys[random.Next(Keys.Length)],
                        DestinationBucket = bucket,
                        DestinationKey = key,
                        MetadataDirective = random.Next(2) == 0 ? S3MetadataDirective.COPY : S3MetadataDirective.REPLACE,
                    });
                    break;
                case < 61:
                    await s3.DeleteObjectAsync(bucket, key);
                    break;
                case < 65:
                    await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Objects = [new KeyVersion { Key = key }, new KeyVersion { Key = Keys[random.Next(Keys.Length)] }] });
                    break;
                case < 72:
                    var created = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = key, ContentType = "application/x-multi" });
                    model.Uploads.Add((account, bucket, key, created.UploadId));
                    break;
                case < 82 when model.Uploads.Count > 0:
                    var (ua, ub, uk, uid) = model.Uploads[random.Next(model.Uploads.Count)];
                    if (random.Next(4) == 0)
                    {
                        await clients[ua].CopyPartAsync(new CopyPartRequest
                        {
                            SourceBucket = ub,
                            SourceKey = Keys[random.Next(Keys.Length)],
                            DestinationBucket = ub,
                            DestinationKey = uk,
                            UploadId = uid,
                            PartNumber = random.Next(1, 4),
                        });
                    }
                    else
                    {
                        await clients[ua].UploadPartAsync(new UploadPartRequest { BucketName = ub, Key = uk, UploadId = uid, PartNumber = random.Next(1, 4), InputStream = new MemoryStream(Content(random)) });
                    }

                    break;
                case < 88 when model.Uploads.Count > 0:
                    // One part (any size is allowed for the last part): complete with a random uploaded part.
                    var (ca, cb, ck, cid) = model.Uploads[random.Next(model.Uploads.Count)];
                    var parts = await clients[ca].ListPartsAsync(new ListPartsRequest { BucketName = cb, Key = ck, UploadId = cid });
                    if (parts.Parts?.Count > 0)
                    {
                        var part = parts.Parts[random.Next(parts.Parts.Count)];
                        await clients[ca].CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = cb, Key = ck, UploadId = cid, PartETags = [new PartETag(part.PartNumber ?? 1, part.ETag)] });
                    }

                    break;
                case < 92 when model.Uploads.Count > 0:
                    var (aa, ab, ak, aid) = model.Uploads[random.Next(model.Uploads.Count)];
                    await clients[aa].AbortMultipartUploadAsync(ab, ak, aid);
                    break;
                default:
                    // Overwrite with bytes another object has: the blob is stored once.
                    await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = "shared content" });
                    break;
            }
        }
        catch (AmazonS3Exception)
        {
            // NoSuchBucket, BucketNotEmpty, NoSuchKey, NoSuchUpload ...: part of the sequence, nothing changed.
        }
    }

    private static byte[] Content(Random random)
    {
        var content = new byte[random.Next(4) == 0 ? 0 : random.Next(1, 20_000)];
        random.NextBytes(content);
        return content;
    }

    private sealed class Model
    {
        public List<(int Account, string Bucket, string Key, string UploadId)> Uploads { get; } = [];
    }

    /// <summary>The S3 provider as it was before it was keyed: the whole document, every object file staged into a new generation.</summary>
    private sealed class V1S3StateProvider(S3Store store) : JsonServiceStateProvider<S3StateDocument>(S3Module.ServiceName, S3JsonContext.Default.S3StateDocument)
    {
        protected override async ValueTask<S3StateDocument> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken)
        {
            S3StateDocument document;
            lock (store.Sync)
            {
                document = store.ToDocument();
            }

            foreach (var file in document.Accounts.SelectMany(a => a.Buckets).SelectMany(b => b.Objects.Select(o => o.File).Concat(b.Uploads.SelectMany(u => u.Parts.Select(p => p.File)))))
            {
                await context.StageFileAsync(store.PathOf(file), "objects/" + file, cancellationToken);
            }

            return document;
        }

        protected override void Restore(S3StateDocument state) => throw new NotSupportedException("only writes v1 snapshots");

        protected override void Reset() => throw new NotSupportedException("only writes v1 snapshots");
    }
}
