using System.Buffers.Binary;
using System.Diagnostics;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Storage.Format;
using LocalStack.Persistence.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace LocalStack.Persistence.Tests.Storage.Format;

/// <summary>RELIABILITY cases 3 and 4: truncation at every offset, bit flips, forged lengths.</summary>
public class SnapshotFileCorruptionTests
{
    private static readonly TempDirectory Temp = new();

    [OneTimeTearDown]
    public void RemoveFiles() => Temp.Dispose();

    private static string PathOf(string name, [System.Runtime.CompilerServices.CallerMemberName] string test = "") => Path.Combine(Temp.Path, $"{test}-{name}");

    /// <summary>A small snapshot: ~1.5 KB of JSON, about 0.9 KB as LZ4.</summary>
    private static Task<byte[]> SmallSnapshotAsync(SnapshotCompression codec) =>
        SnapshotFiles.WriteToBytesAsync(SnapshotFiles.Json(1500, seed: 7), SnapshotFiles.Fields(codec));

    [TestCase(SnapshotCompression.None)]
    [TestCase(SnapshotCompression.Lz4)]
    public async Task Truncation_at_every_byte_offset_is_reported_as_corruption(SnapshotCompression codec)
    {
        var bytes = await SmallSnapshotAsync(codec);
        var path = PathOf("store.state");
        Assert.That(bytes.Length, Is.InRange(300, 2100), "a small snapshot");

        var detected = 0;
        for (var length = 0; length < bytes.Length; length++)
        {
            await File.WriteAllBytesAsync(path, bytes.AsMemory(0, length));

            var error = await SnapshotFiles.TryLoadAsync(path);

            Assert.That(error, Is.TypeOf<SnapshotCorruptException>(), $"truncated to {length} bytes");
            var corrupt = (SnapshotCorruptException)error!;
            Assert.That(corrupt.Path, Is.EqualTo(path));
            Assert.That(corrupt.Reason, Is.Not.Empty);
            Assert.That(corrupt.Message, Does.Contain(path));
            detected++;
        }

        Assert.That(detected, Is.EqualTo(bytes.Length));
        TestContext.Out.WriteLine($"{codec}: truncated at {bytes.Length} offsets (0..{bytes.Length - 1}), {detected} detected (100%)");
    }

    [TestCase(SnapshotCompression.None)]
    [TestCase(SnapshotCompression.Lz4)]
    public async Task Truncation_is_reported_by_the_header_check_alone(SnapshotCompression codec)
    {
        // The store lists and guards snapshots with ReadHeader only: a cut file must already fail there.
        var bytes = await SmallSnapshotAsync(codec);
        var path = PathOf("store.state");
        for (var length = 0; length < bytes.Length; length++)
        {
            await File.WriteAllBytesAsync(path, bytes.AsMemory(0, length));
            Assert.Throws<SnapshotCorruptException>(() => SnapshotFiles.ReadHeader(path), $"truncated to {length} bytes");
        }
    }

    [TestCase(1)]
    [TestCase(24)]
    [TestCase(4096)]
    public async Task Extra_bytes_after_the_trailer_are_reported(int extra)
    {
        var bytes = await SmallSnapshotAsync(SnapshotCompression.Lz4);
        var path = PathOf("store.state");
        await File.WriteAllBytesAsync(path, [.. bytes, .. new byte[extra]]);

        var error = await SnapshotFiles.TryLoadAsync(path);

        Assert.That(error, Is.TypeOf<SnapshotCorruptException>());
        Assert.That(((SnapshotCorruptException)error!).Reason, Does.Contain($"{extra} more than the header describes"));
    }

    [Test]
    public async Task A_second_snapshot_appended_to_the_first_is_reported()
    {
        var bytes = await SmallSnapshotAsync(SnapshotCompression.Lz4);
        var path = PathOf("store.state");
        await File.WriteAllBytesAsync(path, [.. bytes, .. bytes]);

        Assert.That(await SnapshotFiles.TryLoadAsync(path), Is.TypeOf<SnapshotCorruptException>());
    }

    [TestCase(SnapshotCompression.None)]
    [TestCase(SnapshotCompression.Lz4)]
    public async Task Every_header_bit_flip_is_detected(SnapshotCompression codec)
    {
        var bytes = await SmallSnapshotAsync(codec);
        var headerLength = SnapshotFiles.HeaderLength(bytes);
        var path = PathOf("store.state");
        await File.WriteAllBytesAsync(path, bytes);
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);

        var flips = 0;
        var corrupt = 0;
        for (var bit = 0; bit < headerLength * 8; bit++)
        {
            var error = await LoadWithBitFlippedAsync(file, path, bytes, bit);
            flips++;

            // Every header flip is corruption, including flips of the format version field: the rest of such a
            // header still checks out as version 1, so it is not mistaken for a newer format.
            Assert.That(error, Is.TypeOf<SnapshotCorruptException>(), $"bit {bit} (byte {bit / 8})");
            var reason = ((SnapshotCorruptException)error!).Reason;
            if (bit / 8 is 8 or 9)
            {
                Assert.That(reason, Does.Contain("the version field is damaged"), $"bit {bit}");
            }
            else if (bit / 8 < 8)
            {
                Assert.That(reason, Does.StartWith("bad magic bytes"), $"bit {bit}");
            }

            corrupt++;
        }

        Assert.That(corrupt, Is.EqualTo(headerLength * 8));
        TestContext.Out.WriteLine($"{codec}: {flips} header bits flipped ({headerLength}-byte header), {corrupt} detected as SnapshotCorruptException (100%)");
    }

    [TestCase(SnapshotCompression.None, 11_000)]
    [TestCase(SnapshotCompression.Lz4, 11_000)]
    public async Task Random_single_bit_flips_in_the_payload_and_trailer_are_all_detected(SnapshotCompression codec, int count)
    {
        var bytes = await SmallSnapshotAsync(codec);
        var headerLength = SnapshotFiles.HeaderLength(bytes);
        var path = PathOf("store.state");
        await File.WriteAllBytesAsync(path, bytes);
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        var random = new Random(20240102 + (int)codec);

        var detected = 0;
        var firstBit = headerLength * 8;
        for (var i = 0; i < count; i++)
        {
            var bit = random.Next(firstBit, bytes.Length * 8);
            var error = await LoadWithBitFlippedAsync(file, path, bytes, bit);
            Assert.That(error, Is.TypeOf<SnapshotCorruptException>(), $"flip {i}: bit {bit} (byte {bit / 8} of {bytes.Length})");
            detected++;
        }

        // And every trailer bit, exhaustively.
        var trailerFlips = 0;
        for (var bit = (bytes.Length - 24) * 8; bit < bytes.Length * 8; bit++)
        {
            Assert.That(await LoadWithBitFlippedAsync(file, path, bytes, bit), Is.TypeOf<SnapshotCorruptException>(), $"trailer bit {bit}");
            trailerFlips++;
        }

        Assert.That(detected, Is.EqualTo(count));
        TestContext.Out.WriteLine($"{codec}: {count} seeded random flips over bytes {headerLength}..{bytes.Length - 1} and {trailerFlips} trailer bits, all detected (100%)");
    }

    [Test]
    public async Task Forged_multi_terabyte_lengths_fail_fast_without_large_allocations()
    {
        var bytes = await SmallSnapshotAsync(SnapshotCompression.Lz4);
        const long FiveTerabytes = 5L * 1024 * 1024 * 1024 * 1024;
        var cases = new (string Name, int Offset, long MaxSnapshotBytes, string Reason)[]
        {
            ("stored", 44, long.MaxValue, $"stored length {FiveTerabytes} exceeds the file size"),
            ("uncompressed", 36, FileSystemSnapshotStoreOptions.DefaultMaxSnapshotBytes, $"uncompressed length {FiveTerabytes} exceeds the maximum snapshot size"),
        };

        foreach (var (name, offset, max, reason) in cases)
        {
            var forged = bytes.ToArray();
            BinaryPrimitives.WriteInt64LittleEndian(forged.AsSpan(offset), FiveTerabytes);
            SnapshotFiles.ResealHeader(forged);
            var path = PathOf(name + ".state");
            await File.WriteAllBytesAsync(path, forged);
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            Assert.Throws<SnapshotCorruptException>(() => SnapshotFile.ReadHeader(handle, path, max)); // warm up

            var stopwatch = Stopwatch.StartNew();
            var before = GC.GetAllocatedBytesForCurrentThread();
            var error = Assert.Throws<SnapshotCorruptException>(() => SnapshotFile.OpenAsync(File.OpenHandle(path, FileMode.Open, FileAccess.Read), path, max, CancellationToken.None).AsTask().GetAwaiter().GetResult())!;
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            stopwatch.Stop();

            Assert.That(error.Reason, Does.StartWith(reason));
            Assert.That(allocated, Is.LessThan(1024 * 1024), $"{name}: bytes allocated during the attempt");
            Assert.That(stopwatch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
            TestContext.Out.WriteLine($"forged {name} length {FiveTerabytes}: '{error.Reason}', {allocated} bytes allocated, {stopwatch.Elapsed.TotalMilliseconds:F2} ms");
        }
    }

    [Test]
    public async Task A_forged_uncompressed_length_larger_than_the_data_is_caught_while_streaming_without_allocating_it()
    {
        var json = SnapshotFiles.Json(1500, seed: 7);
        var bytes = await SmallSnapshotAsync(SnapshotCompression.Lz4);
        const long FiveTerabytes = 5L * 1024 * 1024 * 1024 * 1024;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(36), FiveTerabytes);
        SnapshotFiles.ResealHeader(bytes);
        var path = PathOf("store.state");
        await File.WriteAllBytesAsync(path, bytes);

        // The header and checksum are valid, so the open succeeds when the maximum allows it; the stream must not.
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        var before = GC.GetAllocatedBytesForCurrentThread();
        using var reader = await SnapshotFile.OpenAsync(handle, path, long.MaxValue, CancellationToken.None);
        var buffer = new byte[4096];
        var total = 0;
        var error = Assert.Throws<SnapshotCorruptException>(() =>
        {
            int read;
            while ((read = reader.Payload.Read(buffer)) > 0)
            {
                total += read;
            }
        })!;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(total, Is.EqualTo(json.Length), "the real data is yielded, then the shortfall is reported");
        Assert.That(error.Reason, Is.EqualTo($"payload ended after {json.Length} uncompressed bytes; the header announces {FiveTerabytes}"));
        Assert.That(allocated, Is.LessThan(1024 * 1024));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(1499)]
    public async Task A_forged_uncompressed_length_smaller_than_the_data_is_caught_while_streaming(int forgedShortfall)
    {
        var json = SnapshotFiles.Json(1500, seed: 7);
        var bytes = await SmallSnapshotAsync(SnapshotCompression.Lz4);
        var announced = forgedShortfall == 0 ? 0 : json.Length - forgedShortfall;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(36), announced);
        SnapshotFiles.ResealHeader(bytes);
        var path = PathOf("store.state");
        await File.WriteAllBytesAsync(path, bytes);

        var error = await SnapshotFiles.TryLoadAsync(path);

        Assert.That(error, Is.TypeOf<SnapshotCorruptException>());
        Assert.That(((SnapshotCorruptException)error!).Reason, Is.EqualTo($"payload decompresses to more than the {announced} bytes the header announces"));
    }

    [TestCase("random bytes")]
    [TestCase("frame without its end mark")]
    [TestCase("frame cut in the middle")]
    [TestCase("frame followed by garbage")]
    [TestCase("two frames, one announced")]
    [TestCase("empty")]
    public async Task Stored_bytes_with_a_valid_checksum_that_are_not_one_valid_LZ4_frame_are_reported_while_streaming(string variant)
    {
        var json = SnapshotFiles.Json(1500, seed: 7);
        var template = await SmallSnapshotAsync(SnapshotCompression.Lz4);
        var headerLength = SnapshotFiles.HeaderLength(template);
        var frame = template.AsSpan(headerLength, template.Length - headerLength - 24).ToArray();
        var uncompressed = json.Length;
        byte[] stored;
        switch (variant)
        {
            case "random bytes":
                stored = new byte[700];
                new Random(5).NextBytes(stored);
                break;
            case "frame without its end mark":
                stored = frame[..^4];
                break;
            case "frame cut in the middle":
                stored = frame[..(frame.Length / 2)];
                break;
            case "frame followed by garbage":
                stored = [.. frame, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
                break;
            case "two frames, one announced":
                // The LZ4 frame format allows concatenated frames (v1 writers write one); the length bound still holds.
                stored = [.. frame, .. frame];
                break;
            default:
                stored = [];
                break;
        }

        var path = PathOf("store.state");
        await File.WriteAllBytesAsync(path, SnapshotFiles.Assemble(template, stored, uncompressed));

        var error = await SnapshotFiles.TryLoadAsync(path);

        Assert.That(error, Is.TypeOf<SnapshotCorruptException>(), variant);
        TestContext.Out.WriteLine($"{variant}: {((SnapshotCorruptException)error!).Reason}");
    }

    [Test]
    public async Task A_forged_uncompressed_length_of_a_plain_payload_is_caught_by_the_header_check()
    {
        var bytes = await SmallSnapshotAsync(SnapshotCompression.None);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(36), 10);
        SnapshotFiles.ResealHeader(bytes);
        var path = PathOf("store.state");
        await File.WriteAllBytesAsync(path, bytes);

        var error = Assert.Throws<SnapshotCorruptException>(() => SnapshotFiles.ReadHeader(path))!;
        Assert.That(error.Reason, Does.StartWith("uncompressed length 10 differs from the stored length"));
    }

    [Test]
    public async Task A_forged_stored_length_that_does_not_add_up_to_the_file_size_is_reported()
    {
        var bytes = await SmallSnapshotAsync(SnapshotCompression.Lz4);
        var stored = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(44));
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(44), stored + 1);
        SnapshotFiles.ResealHeader(bytes);
        var path = PathOf("store.state");
        await File.WriteAllBytesAsync(path, bytes);

        var error = Assert.Throws<SnapshotCorruptException>(() => SnapshotFiles.ReadHeader(path))!;
        Assert.That(error.Reason, Does.StartWith($"file is truncated: {bytes.Length} bytes, but the header describes {bytes.Length + 1}"));
    }

    [Test]
    public async Task A_snapshot_larger_than_the_configured_maximum_is_refused()
    {
        var bytes = await SmallSnapshotAsync(SnapshotCompression.None);
        var path = PathOf("store.state");
        await File.WriteAllBytesAsync(path, bytes);

        var error = Assert.Throws<SnapshotCorruptException>(() => SnapshotFiles.ReadHeader(path, maxSnapshotBytes: 1000))!;
        Assert.That(error.Reason, Does.Match("^stored length [0-9]+ exceeds the maximum snapshot size 1000$"));
    }

    [TestCase(2)]
    [TestCase(7)]
    [TestCase(ushort.MaxValue)]
    public async Task A_newer_format_version_is_reported_as_unsupported(int version)
    {
        var bytes = await SmallSnapshotAsync(SnapshotCompression.Lz4);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)version);
        SnapshotFiles.ResealHeader(bytes); // as a newer writer would have sealed it
        var path = PathOf("store.state");
        await File.WriteAllBytesAsync(path, bytes);

        var fromHeader = Assert.Throws<SnapshotVersionException>(() => SnapshotFiles.ReadHeader(path))!;
        var error = await SnapshotFiles.TryLoadAsync(path);

        Assert.That(error, Is.TypeOf<SnapshotVersionException>());
        foreach (var versionError in new[] { fromHeader, (SnapshotVersionException)error! })
        {
            Assert.That(versionError.Path, Is.EqualTo(path));
            Assert.That(versionError.Kind, Is.EqualTo("format"));
            Assert.That(versionError.FoundVersion, Is.EqualTo(version));
            Assert.That(versionError.SupportedVersion, Is.EqualTo(1));
            Assert.That(versionError.Message, Does.Contain("newer software, or the file is damaged at its version field"), "an unknown format's header cannot be checked, so damage is named as a possible cause");
        }
    }

    [Test]
    public async Task A_newer_format_version_with_a_different_header_layout_is_reported_as_unsupported()
    {
        // A future writer may change everything after the version field; only magic and version must be stable.
        var bytes = await SmallSnapshotAsync(SnapshotCompression.Lz4);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(10), 400);
        var path = PathOf("store.state");
        await File.WriteAllBytesAsync(path, bytes);

        var error = Assert.Throws<SnapshotVersionException>(() => SnapshotFiles.ReadHeader(path))!;
        Assert.That(error.FoundVersion, Is.EqualTo(2));
    }

    [Test]
    public async Task Reasons_name_exactly_what_is_wrong()
    {
        var bytes = await SmallSnapshotAsync(SnapshotCompression.Lz4);
        var headerLength = SnapshotFiles.HeaderLength(bytes);
        var path = PathOf("store.state");

        async Task<string> ReasonAsync(byte[] content)
        {
            await File.WriteAllBytesAsync(path, content);
            var error = await SnapshotFiles.TryLoadAsync(path);
            Assert.That(error, Is.TypeOf<SnapshotCorruptException>());
            return ((SnapshotCorruptException)error!).Reason;
        }

        Assert.That(await ReasonAsync([]), Is.EqualTo("file is empty (0 bytes)"));
        Assert.That(await ReasonAsync(bytes[..37]), Is.EqualTo("file is 37 bytes, shorter than the smallest possible snapshot (81 bytes: a 57-byte header and a 24-byte trailer)"));
        Assert.That(await ReasonAsync("{\"json\":true}"u8.ToArray()), Does.StartWith("bad magic bytes 0x7B226A736F6E223A, expected 0x894C53530D0A1A0A"));

        var crlf = bytes.ToArray();
        crlf[5] = 0x0D; // as if LF had become CR LF
        Assert.That(await ReasonAsync(crlf), Does.StartWith("bad magic bytes 0x894C53530D0D1A0A"));

        var header = bytes.ToArray();
        header[20] ^= 1; // generation
        var checksum = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(headerLength - 4));
        Assert.That(await ReasonAsync(header), Does.Match($"^header checksum mismatch: stored 0x{checksum:X8}, computed 0x[0-9A-F]{{8}}$"));

        var payload = bytes.ToArray();
        payload[headerLength + 10] ^= 0x40;
        var storedHash = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(bytes.Length - 24));
        Assert.That(await ReasonAsync(payload), Does.Match($"^payload checksum mismatch: stored 0x{storedHash:X16}, computed 0x[0-9A-F]{{16}}$"));

        var endMagic = bytes.ToArray();
        endMagic[^1] = 0;
        Assert.That(await ReasonAsync(endMagic), Does.StartWith("bad end magic 0x894C5353454E4400"));

        var trailerLength = bytes.ToArray();
        trailerLength[^16] ^= 1;
        Assert.That(await ReasonAsync(trailerLength), Does.StartWith("trailer stored length"));

        var codec = bytes.ToArray();
        codec[12] = 9;
        SnapshotFiles.ResealHeader(codec);
        Assert.That(await ReasonAsync(codec), Is.EqualTo("unknown codec 9"));

        var name = bytes.ToArray();
        name[52] = (byte)'S';
        SnapshotFiles.ResealHeader(name);
        Assert.That(await ReasonAsync(name), Is.EqualTo("service name bytes 0x5333 are not a valid service name"));

        var flags = bytes.ToArray();
        flags[13] = 1;
        SnapshotFiles.ResealHeader(flags);
        Assert.That(await ReasonAsync(flags), Does.StartWith("unknown header flags 0x01"));

        var negative = bytes.ToArray();
        BinaryPrimitives.WriteInt64LittleEndian(negative.AsSpan(44), -5);
        SnapshotFiles.ResealHeader(negative);
        Assert.That(await ReasonAsync(negative), Is.EqualTo("stored length -5 is negative"));

        var headerLengthField = bytes.ToArray();
        BinaryPrimitives.WriteUInt16LittleEndian(headerLengthField.AsSpan(10), 500);
        Assert.That(await ReasonAsync(headerLengthField), Is.EqualTo("header length 500 is outside the valid range 57..120"));
    }

    /// <summary>Flips one bit in place, loads the whole payload, restores the bit.</summary>
    private static async Task<SnapshotException?> LoadWithBitFlippedAsync(SafeFileHandle file, string path, byte[] original, int bit)
    {
        var offset = bit / 8;
        var flipped = (byte)(original[offset] ^ (1 << (bit % 8)));
        RandomAccess.Write(file, [flipped], offset);
        try
        {
            return await SnapshotFiles.TryLoadAsync(path);
        }
        finally
        {
            RandomAccess.Write(file, [original[offset]], offset);
        }
    }
}
