using System.Text;
using LocalStack.Persistence.Storage.Format;
using LocalStack.Persistence.Tests.Support;

namespace LocalStack.Persistence.Tests.Storage.Format;

public class SnapshotFileRoundTripTests
{
    private static string NewPath(TempDirectory temp) => Path.Combine(temp.Path, "store.state");

    [TestCase(SnapshotCompression.None)]
    [TestCase(SnapshotCompression.Lz4)]
    public async Task Empty_payload_round_trips(SnapshotCompression codec)
    {
        using var temp = new TempDirectory();
        var path = NewPath(temp);
        var written = await SnapshotFiles.WriteAsync(path, [], SnapshotFiles.Fields(codec));

        var (metadata, payload) = await SnapshotFiles.LoadAsync(path);

        Assert.That(payload, Is.Empty);
        Assert.That(metadata, Is.EqualTo(written));
        Assert.That(metadata.UncompressedLength, Is.Zero);
        Assert.That(metadata.FileLength, Is.EqualTo(new FileInfo(path).Length));
    }

    [TestCase(SnapshotCompression.None)]
    [TestCase(SnapshotCompression.Lz4)]
    public async Task Small_json_round_trips_with_every_metadata_field(SnapshotCompression codec)
    {
        using var temp = new TempDirectory();
        var path = NewPath(temp);
        var json = Encoding.UTF8.GetBytes("""{"queues":[{"name":"orders","messages":["a","b","c"]}],"version":3}""");
        var createdAt = new DateTimeOffset(2025, 6, 7, 8, 9, 10, 123, TimeSpan.Zero);
        var fields = new SnapshotHeaderFields("dynamodb", 17, 123456789012, createdAt, codec);

        var written = await SnapshotFiles.WriteAsync(path, json, fields);
        var (metadata, payload) = await SnapshotFiles.LoadAsync(path);

        Assert.That(payload, Is.EqualTo(json));
        Assert.That(metadata, Is.EqualTo(written));
        Assert.That(metadata.ServiceName, Is.EqualTo("dynamodb"));
        Assert.That(metadata.FormatVersion, Is.EqualTo(SnapshotFile.CurrentFormatVersion));
        Assert.That(metadata.SchemaVersion, Is.EqualTo(17));
        Assert.That(metadata.Generation, Is.EqualTo(123456789012));
        Assert.That(metadata.CreatedAt, Is.EqualTo(createdAt));
        Assert.That(metadata.Compression, Is.EqualTo(codec));
        Assert.That(metadata.UncompressedLength, Is.EqualTo(json.Length));
        Assert.That(metadata.FileLength, Is.EqualTo(new FileInfo(path).Length));
        Assert.That(metadata.FileLength, Is.EqualTo(56 + "dynamodb".Length + metadata.StoredLength + 24));
        Assert.That(metadata.Location, Is.EqualTo(path));
        if (codec == SnapshotCompression.None)
        {
            Assert.That(metadata.StoredLength, Is.EqualTo(json.Length));
        }

        Assert.That(SnapshotFiles.ReadHeader(path), Is.EqualTo(written));
    }

    [TestCase(SnapshotCompression.None, 1)]
    [TestCase(SnapshotCompression.None, 7919)]
    [TestCase(SnapshotCompression.Lz4, 1000)]
    [TestCase(SnapshotCompression.Lz4, 65536 + 17)]
    public async Task Ten_megabytes_written_in_many_small_writes_round_trip(SnapshotCompression codec, int chunk)
    {
        using var temp = new TempDirectory();
        var path = NewPath(temp);
        var json = SnapshotFiles.Json(10 * 1024 * 1024);
        if (chunk == 1)
        {
            json = json[..(300 * 1024)]; // one write per byte: keep it quick
        }

        var written = await SnapshotFiles.WriteAsync(path, json, SnapshotFiles.Fields(codec), chunk);
        var (metadata, payload) = await SnapshotFiles.LoadAsync(path);

        Assert.That(payload.AsSpan().SequenceEqual(json), Is.True, "payload differs");
        Assert.That(metadata, Is.EqualTo(written));
        Assert.That(metadata.UncompressedLength, Is.EqualTo(json.Length));
        if (codec == SnapshotCompression.Lz4)
        {
            Assert.That(metadata.StoredLength, Is.LessThan(json.Length / 2), "JSON should compress");
        }
    }

    [TestCase(SnapshotCompression.None)]
    [TestCase(SnapshotCompression.Lz4)]
    public async Task Saving_and_loading_allocate_nothing_proportional_to_the_payload(SnapshotCompression codec)
    {
        using var temp = new TempDirectory();
        var json = SnapshotFiles.Json(8 * 1024 * 1024);
        var budget = json.Length / 8; // measured: a few hundred KB, whatever the payload size
        long saveAllocated = 0;
        long loadAllocated = 0;
        for (var round = 0; round < 2; round++)
        {
            // Round 0 warms up the JIT and the buffer pools; round 1 is measured.
            var path = Path.Combine(temp.Path, $"store{round}.state");
            var before = GC.GetTotalAllocatedBytes(precise: true);
            await SnapshotFiles.WriteAsync(path, json, SnapshotFiles.Fields(codec), chunk: 16 * 1024);
            saveAllocated = GC.GetTotalAllocatedBytes(precise: true) - before;

            before = GC.GetTotalAllocatedBytes(precise: true);
            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            await using (var reader = await SnapshotFile.OpenAsync(handle, path, long.MaxValue, CancellationToken.None))
            {
                await reader.Payload.CopyToAsync(Stream.Null);
            }

            loadAllocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        }

        TestContext.Out.WriteLine($"{codec}: {json.Length} payload bytes; save allocated {saveAllocated} bytes, load allocated {loadAllocated} bytes");
        Assert.That(saveAllocated, Is.LessThan(budget), "save");
        Assert.That(loadAllocated, Is.LessThan(budget), "load");
    }

    [Test]
    public async Task Payload_can_be_read_synchronously_in_odd_sized_reads()
    {
        using var temp = new TempDirectory();
        var path = NewPath(temp);
        var json = SnapshotFiles.Json(600 * 1024);
        await SnapshotFiles.WriteAsync(path, json, SnapshotFiles.Fields(SnapshotCompression.Lz4));

        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        using var reader = await SnapshotFile.OpenAsync(handle, path, long.MaxValue, CancellationToken.None);
        var result = new MemoryStream();
        var buffer = new byte[3001];
        int read;
        while ((read = reader.Payload.Read(buffer, 0, buffer.Length)) > 0)
        {
            result.Write(buffer, 0, read);
        }

        Assert.That(result.ToArray().AsSpan().SequenceEqual(json), Is.True);
        Assert.That(reader.Payload.Read(buffer, 0, buffer.Length), Is.Zero, "end stays the end");
    }

    [Test]
    public async Task Payload_round_trips_through_an_asynchronous_file_handle()
    {
        using var temp = new TempDirectory();
        var path = NewPath(temp);
        var json = SnapshotFiles.Json(300 * 1024);
        await SnapshotFiles.WriteAsync(path, json, SnapshotFiles.Fields(SnapshotCompression.Lz4));

        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        await using var reader = await SnapshotFile.OpenAsync(handle, path, long.MaxValue, CancellationToken.None);
        using var result = new MemoryStream();
        await reader.Payload.CopyToAsync(result);

        Assert.That(result.ToArray().AsSpan().SequenceEqual(json), Is.True);
    }

    [Test]
    public async Task Disposing_the_reader_closes_the_file()
    {
        using var temp = new TempDirectory();
        var path = NewPath(temp);
        await SnapshotFiles.WriteAsync(path, SnapshotFiles.Json(1000), SnapshotFiles.Fields(SnapshotCompression.Lz4));
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);

        var reader = await SnapshotFile.OpenAsync(handle, path, long.MaxValue, CancellationToken.None);
        await reader.DisposeAsync();

        Assert.That(handle.IsClosed, Is.True);
    }

    [Test]
    public async Task A_failed_open_closes_the_file()
    {
        using var temp = new TempDirectory();
        var path = NewPath(temp);
        await File.WriteAllBytesAsync(path, new byte[200]);
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);

        await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await SnapshotFile.OpenAsync(handle, path, long.MaxValue, CancellationToken.None));
        Assert.That(handle.IsClosed, Is.True);
    }

    [Test]
    public async Task A_cancelled_open_closes_the_file_and_throws_OperationCanceledException()
    {
        using var temp = new TempDirectory();
        var path = NewPath(temp);
        await SnapshotFiles.WriteAsync(path, SnapshotFiles.Json(1000), SnapshotFiles.Fields(SnapshotCompression.Lz4));
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);

        await Assert.CatchAsync<OperationCanceledException>(async () => await SnapshotFile.OpenAsync(handle, path, long.MaxValue, new CancellationToken(canceled: true)));
        Assert.That(handle.IsClosed, Is.True);
    }

    [Test]
    public async Task A_payload_writer_that_disposes_the_stream_still_produces_a_complete_snapshot()
    {
        using var temp = new TempDirectory();
        var path = NewPath(temp);
        var json = SnapshotFiles.Json(5000);
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            await SnapshotFile.WriteAsync(
                file,
                SnapshotFiles.Fields(SnapshotCompression.Lz4),
                async (destination, ct) =>
                {
                    await using (destination)
                    {
                        await destination.WriteAsync(json, ct);
                    }
                },
                path,
                CancellationToken.None);
        }

        var (_, payload) = await SnapshotFiles.LoadAsync(path);
        Assert.That(payload, Is.EqualTo(json));
    }

    [Test]
    public async Task A_write_after_the_payload_writer_completed_is_refused()
    {
        Stream? escaped = null;
        using var buffer = new MemoryStream();
        await Assert.DoesNotThrowAsync(async () => await SnapshotFile.WriteAsync(
            buffer,
            SnapshotFiles.Fields(SnapshotCompression.None),
            (destination, _) =>
            {
                escaped = destination;
                return ValueTask.CompletedTask;
            },
            "memory",
            CancellationToken.None));

        Assert.Throws<InvalidOperationException>(() => escaped!.Write([1, 2, 3]));
    }

    [Test]
    public async Task A_failing_payload_writer_fails_the_write_with_its_exception()
    {
        using var buffer = new MemoryStream();
        var failure = new InvalidOperationException("capture failed");

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(async () => await SnapshotFile.WriteAsync(
            buffer,
            SnapshotFiles.Fields(SnapshotCompression.Lz4),
            async (destination, ct) =>
            {
                await destination.WriteAsync(SnapshotFiles.Json(200_000), ct);
                throw failure;
            },
            "memory",
            CancellationToken.None));

        Assert.That(thrown, Is.SameAs(failure));
    }

    [Test]
    public async Task A_cancelled_write_throws_OperationCanceledException()
    {
        using var buffer = new MemoryStream();
        using var cancellation = new CancellationTokenSource();

        await Assert.CatchAsync<OperationCanceledException>(async () => await SnapshotFile.WriteAsync(
            buffer,
            SnapshotFiles.Fields(SnapshotCompression.Lz4),
            async (destination, ct) =>
            {
                await destination.WriteAsync(SnapshotFiles.Json(1000), ct);
                await cancellation.CancelAsync();
                ct.ThrowIfCancellationRequested();
            },
            "memory",
            cancellation.Token));
    }

    [Test]
    public async Task Invalid_header_fields_are_refused_before_anything_is_written()
    {
        using var buffer = new MemoryStream();
        static ValueTask Nothing(Stream destination, CancellationToken ct) => ValueTask.CompletedTask;

        await Assert.ThrowsAsync<ArgumentException>(async () => await SnapshotFile.WriteAsync(buffer, SnapshotFiles.Fields(SnapshotCompression.None, service: "../etc"), Nothing, "m", default));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await SnapshotFile.WriteAsync(buffer, SnapshotFiles.Fields(SnapshotCompression.None, generation: -1), Nothing, "m", default));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await SnapshotFile.WriteAsync(buffer, SnapshotFiles.Fields((SnapshotCompression)7), Nothing, "m", default));
        Assert.That(buffer.Length, Is.Zero);
    }

    [Test]
    public async Task An_unfinished_file_never_has_a_valid_header()
    {
        // What a writer killed after the payload (before the header rewrite) leaves behind.
        using var temp = new TempDirectory();
        var path = NewPath(temp);
        var bytes = await SnapshotFiles.WriteToBytesAsync(SnapshotFiles.Json(2000), SnapshotFiles.Fields(SnapshotCompression.Lz4));
        var headerLength = SnapshotFiles.HeaderLength(bytes);
        bytes.AsSpan(36, 16).Clear();                    // lengths as first written: zero
        bytes.AsSpan(headerLength - 4, 4).Clear();       // checksum as first written: zero
        await File.WriteAllBytesAsync(path, bytes);

        var error = await SnapshotFiles.TryLoadAsync(path);

        Assert.That(error, Is.TypeOf<SnapshotCorruptException>());
        Assert.That(((SnapshotCorruptException)error!).Reason, Does.StartWith("header checksum mismatch"));
    }
}
