using System.Text;
using LocalStack.Persistence.SampleEmulator.S3;

namespace LocalStack.Persistence.SampleEmulator.Tests.S3;

public sealed class AwsChunkedDecoderTests
{
    private static readonly byte[] Payload = MakePayload(70_001);

    [Test]
    public void Decodes_an_unsigned_trailer_body_fed_one_byte_at_a_time()
    {
        var body = AwsChunked.Encode(Payload, 8192, trailer: ("x-amz-checksum-crc32", "AAAAAA=="), signed: false);
        var (decoded, decoder) = Decode(body, _ => 1);
        Assert.Multiple(() =>
        {
            Assert.That(decoded, Is.EqualTo(Payload));
            Assert.That(decoder.IsComplete, Is.True);
            Assert.That(decoder.Trailers["x-amz-checksum-crc32"], Is.EqualTo("AAAAAA=="));
        });
    }

    [Test]
    public void Decodes_a_signed_body_fed_in_random_slices([Values(1, 2, 3, 4, 5)] int seed)
    {
        var body = AwsChunked.Encode(Payload, 65536, trailer: null, signed: true);
        var random = new Random(seed);
        var (decoded, decoder) = Decode(body, _ => random.Next(1, 20_000));
        Assert.Multiple(() =>
        {
            Assert.That(decoded, Is.EqualTo(Payload));
            Assert.That(decoder.ChunkSignatures, Has.Count.EqualTo(3), "two data chunks and the final zero chunk are signed");
            Assert.That(decoder.Trailers, Is.Empty);
        });
    }

    [Test]
    public void Decodes_a_signed_trailer_body_whose_slices_split_every_header_and_crlf()
    {
        var body = AwsChunked.Encode(Payload, 1000, trailer: ("x-amz-checksum-sha256", "abc="), signed: true);
        foreach (var slice in new[] { 2, 7, 63, 999, 1000, 1001, 4096 })
        {
            var (decoded, decoder) = Decode(body, _ => slice);
            Assert.That(decoded, Is.EqualTo(Payload), $"slice {slice}");
            Assert.That(decoder.Trailers["x-amz-checksum-sha256"], Is.EqualTo("abc="), $"slice {slice}");
        }
    }

    [Test]
    public void A_chunk_longer_than_its_declared_size_is_rejected()
    {
        var body = Encoding.ASCII.GetBytes("3\r\nabcd\r\n0\r\n\r\n");
        Assert.Throws<FormatException>(() => Decode(body, _ => 1));
    }

    [Test]
    public void A_body_that_ends_inside_a_chunk_is_rejected_at_finish()
    {
        var body = Encoding.ASCII.GetBytes("10\r\nabc");
        var decoder = new AwsChunkedDecoder();
        decoder.Decode(body, new byte[body.Length]);
        Assert.Throws<FormatException>(decoder.Finish);
    }

    [Test]
    public void An_invalid_chunk_size_is_rejected()
    {
        var body = Encoding.ASCII.GetBytes("zz\r\nabc\r\n");
        Assert.Throws<FormatException>(() => Decode(body, _ => body.Length));
    }

    [TestCase("CRC32", "cbf43926")]
    [TestCase("CRC32C", "e3069283")]
    [TestCase("CRC64NVME", "ae8b14860a799888")]
    [TestCase("SHA1", "f7c3bc1d808e04732adf679965ccc34ca7ae3441")]
    public void Checksums_match_the_standard_check_values(string algorithm, string expectedHex)
    {
        var bytes = S3Checksum.Compute(algorithm, "123456789"u8);
        Assert.That(Convert.ToHexStringLower(bytes), Is.EqualTo(expectedHex));
    }

    private static (byte[] Decoded, AwsChunkedDecoder Decoder) Decode(byte[] body, Func<int, int> sliceSize)
    {
        var decoder = new AwsChunkedDecoder();
        using var output = new MemoryStream();
        var buffer = new byte[body.Length];
        var offset = 0;
        while (offset < body.Length)
        {
            var count = Math.Min(sliceSize(offset), body.Length - offset);
            var written = decoder.Decode(body.AsSpan(offset, count), buffer);
            output.Write(buffer, 0, written);
            offset += count;
        }

        decoder.Finish();
        return (output.ToArray(), decoder);
    }

    private static byte[] MakePayload(int length)
    {
        var bytes = new byte[length];
        new Random(42).NextBytes(bytes);
        return bytes;
    }
}
