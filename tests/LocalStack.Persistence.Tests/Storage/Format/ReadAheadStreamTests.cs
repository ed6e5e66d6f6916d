using LocalStack.Persistence.Storage.Format;

namespace LocalStack.Persistence.Tests.Storage.Format;

/// <summary>
/// The load's read-ahead: the consumer sees exactly the inner stream's bytes, in order, then exactly its error (same
/// exception, after the bytes that came before it), and disposal stops the producer and disposes the inner stream.
/// </summary>
public sealed class ReadAheadStreamTests
{
    [TestCase(0)]
    [TestCase(1)]
    [TestCase(64 * 1024)]
    [TestCase(1_000_003)]
    public async Task Every_byte_arrives_in_order_whatever_the_read_sizes(int size)
    {
        var data = new byte[size];
        new Random(size).NextBytes(data);
        var random = new Random(1);
        await using var stream = new ReadAheadStream(new DribblingStream(data, failAt: null));
        var output = new MemoryStream();
        var buffer = new byte[200_000];
        int read;
        while ((read = await stream.ReadAsync(buffer.AsMemory(0, random.Next(1, buffer.Length)))) > 0)
        {
            output.Write(buffer, 0, read);
        }

        Assert.That(output.ToArray(), Is.EqualTo(data));
        Assert.That(await stream.ReadAsync(buffer), Is.Zero, "stays at the end");
    }

    [Test]
    public async Task The_inner_error_arrives_after_the_bytes_before_it_unchanged()
    {
        var data = new byte[300_000];
        new Random(2).NextBytes(data);
        var inner = new DribblingStream(data, failAt: 200_000);
        await using var stream = new ReadAheadStream(inner);
        var output = new MemoryStream();
        var buffer = new byte[10_000];

        var error = await Assert.ThrowsAsync<SnapshotCorruptException>(async () =>
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                output.Write(buffer, 0, read);
            }
        });

        Assert.That(error, Is.SameAs(inner.Thrown));
        Assert.That(output.ToArray(), Is.EqualTo(data.AsSpan(0, 200_000).ToArray()), "everything before the error, nothing after");
    }

    [Test]
    public async Task Disposing_before_the_end_stops_reading_and_disposes_the_inner_stream()
    {
        var inner = new DribblingStream(new byte[10_000_000], failAt: null);
        var stream = new ReadAheadStream(inner);
        var buffer = new byte[1000];
        Assert.That(await stream.ReadAsync(buffer), Is.GreaterThan(0));

        await stream.DisposeAsync();

        Assert.That(inner.Disposed, Is.True);
        Assert.That(inner.Position, Is.LessThan(1_000_000), "the producer holds at most a few chunks ahead");
        Assert.That(async () => await stream.ReadAsync(buffer.AsMemory()), Throws.InstanceOf<ObjectDisposedException>());
    }

    [Test]
    public void A_synchronous_read_works_too()
    {
        var data = new byte[150_000];
        new Random(3).NextBytes(data);
        using var stream = new ReadAheadStream(new DribblingStream(data, failAt: null));
        var output = new MemoryStream();
        stream.CopyTo(output);

        Assert.That(output.ToArray(), Is.EqualTo(data));
    }

    /// <summary>Returns at most 7,000 bytes per read (like a decoder yielding part of a block) and can fail at an offset.</summary>
    private sealed class DribblingStream(byte[] data, int? failAt) : Stream
    {
        private int _position;

        public bool Disposed { get; private set; }

        public SnapshotCorruptException? Thrown { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => data.Length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(Disposed, this);
            if (_position == failAt)
            {
                Thrown = new SnapshotCorruptException("/state/store.state", "test damage");
                throw Thrown;
            }

            var limit = failAt is { } end ? end : data.Length;
            var count = Math.Min(Math.Min(buffer.Length, 7_000), limit - _position);
            data.AsSpan(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }
}
