using System.Buffers.Binary;
using System.Text.Json;
using K4os.Compression.LZ4.Streams;
using LocalStack.Persistence.Storage.Format;

namespace LocalStack.Persistence.Tests.Storage.Format;

/// <summary>
/// The parallel LZ4 frame writer: whatever way the payload arrives (stream writes of any size, a serializer writing
/// through <see cref="System.Buffers.IBufferWriter{T}"/>, values larger than a block), the standard K4os decoder
/// reads back exactly the bytes written, in order.
/// </summary>
public sealed class Lz4FrameWriterTests
{
    private static readonly int[] Sizes = [0, 1, 100, Lz4FrameWriter.BlockSize - 1, Lz4FrameWriter.BlockSize, Lz4FrameWriter.BlockSize + 1, 3 * Lz4FrameWriter.BlockSize + 17, 2_500_000];

    [Test]
    public async Task Stream_writes_of_any_size_round_trip_through_the_standard_decoder([ValueSource(nameof(Sizes))] int size, [Values] bool compressible, [Values] bool async)
    {
        var payload = Payload(size, compressible, seed: size);
        var random = new Random(size);
        var frame = new MemoryStream();
        using (var writer = new Lz4FrameWriter(frame))
        {
            var offset = 0;
            while (offset < payload.Length)
            {
                // Chunks from 1 byte to several blocks, so block boundaries fall everywhere.
                var count = Math.Min(payload.Length - offset, random.Next(1, 3 * Lz4FrameWriter.BlockSize));
                if (async)
                {
                    await writer.WriteAsync(payload.AsMemory(offset, count));
                }
                else
                {
                    writer.Write(payload.AsSpan(offset, count));
                }

                offset += count;
            }

            await writer.CompleteAsync(CancellationToken.None);
        }

        Assert.That(Decode(frame.ToArray()), Is.EqualTo(payload));
    }

    [Test]
    public async Task A_serializer_writing_through_the_buffer_writer_round_trips_including_values_larger_than_a_block()
    {
        var value = new Dictionary<string, string>();
        for (var i = 0; i < 20_000; i++)
        {
            value[$"key-{i}"] = $"value {i} {new string('x', i % 50)}";
        }

        value["huge"] = new string('\u00e9', 3 * Lz4FrameWriter.BlockSize); // escaped to 6 bytes each: a 1 MiB+ size hint
        var frame = new MemoryStream();
        using (var writer = new Lz4FrameWriter(frame))
        {
            using (var json = new Utf8JsonWriter((System.Buffers.IBufferWriter<byte>)writer))
            {
                JsonSerializer.Serialize(json, value, Lz4TestJsonContext.Default.DictionaryStringString);
            }

            await writer.CompleteAsync(CancellationToken.None);
        }

        var expected = JsonSerializer.SerializeToUtf8Bytes(value, Lz4TestJsonContext.Default.DictionaryStringString);
        Assert.That(Decode(frame.ToArray()), Is.EqualTo(expected));
    }

    [Test]
    public async Task The_frame_declares_independent_64_KiB_blocks_and_stores_incompressible_blocks_as_they_are()
    {
        var payload = Payload(2 * Lz4FrameWriter.BlockSize, compressible: false, seed: 7);
        var frame = new MemoryStream();
        using (var writer = new Lz4FrameWriter(frame))
        {
            writer.Write(payload);
            await writer.CompleteAsync(CancellationToken.None);
        }

        var bytes = frame.ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes), Is.EqualTo(0x184D2204), "LZ4 frame magic");
            Assert.That(bytes[4], Is.EqualTo(0x60), "FLG: version 01, independent blocks, no checksums");
            Assert.That(bytes[5], Is.EqualTo(0x40), "BD: 64 KiB blocks");
            Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(7)), Is.EqualTo(0x8000_0000u | Lz4FrameWriter.BlockSize), "first block stored uncompressed");
            Assert.That(bytes, Has.Length.EqualTo(7 + (2 * (4 + Lz4FrameWriter.BlockSize)) + 4), "two raw blocks and the end mark, nothing more");
            Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)), Is.Zero, "end mark");
        });
    }

    [Test]
    public async Task Compressible_payloads_shrink()
    {
        var payload = Payload(1_000_000, compressible: true, seed: 3);
        var frame = new MemoryStream();
        using (var writer = new Lz4FrameWriter(frame))
        {
            await writer.WriteAsync(payload);
            await writer.CompleteAsync(CancellationToken.None);
        }

        Assert.That(frame.Length, Is.LessThan(payload.Length / 2));
    }

    [Test]
    public void An_abandoned_frame_writes_no_end_mark_and_refuses_further_writes()
    {
        var frame = new MemoryStream();
        var writer = new Lz4FrameWriter(frame);
        writer.Write(Payload(5 * Lz4FrameWriter.BlockSize, compressible: true, seed: 1));
        writer.Dispose();

        Assert.Multiple(() =>
        {
            Assert.Throws<ObjectDisposedException>(() => writer.Write(new byte[1]));
            Assert.That(() => Decode(frame.ToArray()), Throws.Exception, "no complete frame is left behind");
        });
    }

    [Test]
    public async Task A_cancelled_write_throws_and_the_writer_can_still_be_disposed()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var writer = new Lz4FrameWriter(new MemoryStream());
        Assert.That(
            async () => await writer.WriteAsync(Payload(4 * Lz4FrameWriter.BlockSize, compressible: true, seed: 2), cancelled.Token),
            Throws.InstanceOf<OperationCanceledException>());
        Assert.That(writer.Dispose, Throws.Nothing);
    }

    private static byte[] Payload(int size, bool compressible, int seed)
    {
        var random = new Random(seed);
        var bytes = new byte[size];
        if (!compressible)
        {
            random.NextBytes(bytes);
            return bytes;
        }

        const string words = "{\"bucket\":\"b\",\"key\":\"photos/2026/\",\"etag\":\"abc\",\"size\":123,\"tags\":{\"team\":\"a\"}}";
        for (var i = 0; i < size; i++)
        {
            bytes[i] = (byte)(random.Next(16) == 0 ? random.Next(32, 127) : words[i % words.Length]);
        }

        return bytes;
    }

    private static byte[] Decode(byte[] frame)
    {
        using var decoder = LZ4Stream.Decode(new MemoryStream(frame));
        var output = new MemoryStream();
        decoder.CopyTo(output);
        return output.ToArray();
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class Lz4TestJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
