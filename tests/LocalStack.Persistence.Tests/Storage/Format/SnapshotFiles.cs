using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Storage.Format;

namespace LocalStack.Persistence.Tests.Storage.Format;

/// <summary>Writes, loads and edits snapshot files for the format tests. Offsets are the documented ones, spelled out.</summary>
internal static class SnapshotFiles
{
    public static readonly DateTimeOffset FixedCreatedAt = new(2024, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);

    public static SnapshotHeaderFields Fields(SnapshotCompression codec, string service = "s3", int schemaVersion = 2, long generation = 42) =>
        new(service, schemaVersion, generation, FixedCreatedAt, codec);

    /// <summary>Writes <paramref name="payload"/> in writes of at most <paramref name="chunk"/> bytes into a new file.</summary>
    public static async Task<SnapshotMetadata> WriteAsync(string path, byte[] payload, SnapshotHeaderFields fields, int chunk = int.MaxValue)
    {
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 4096);
        return await SnapshotFile.WriteAsync(file, fields, (destination, ct) => WriteChunksAsync(destination, payload, chunk, ct), path, CancellationToken.None);
    }

    public static async Task<byte[]> WriteToBytesAsync(byte[] payload, SnapshotHeaderFields fields)
    {
        using var buffer = new MemoryStream();
        await SnapshotFile.WriteAsync(buffer, fields, (destination, ct) => WriteChunksAsync(destination, payload, int.MaxValue, ct), "memory", CancellationToken.None);
        return buffer.ToArray();
    }

    public static async ValueTask WriteChunksAsync(Stream destination, byte[] payload, int chunk, CancellationToken cancellationToken)
    {
        for (var offset = 0; offset < payload.Length; offset += chunk)
        {
            await destination.WriteAsync(payload.AsMemory(offset, Math.Min(chunk, payload.Length - offset)), cancellationToken);
        }
    }

    /// <summary>Opens, verifies and reads the whole payload, as a loader would.</summary>
    public static async Task<(SnapshotMetadata Metadata, byte[] Payload)> LoadAsync(string path, long maxSnapshotBytes = FileSystemSnapshotStoreOptions.DefaultMaxSnapshotBytes)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        await using var reader = await SnapshotFile.OpenAsync(handle, path, maxSnapshotBytes, CancellationToken.None);
        using var payload = new MemoryStream();
        await reader.Payload.CopyToAsync(payload);
        return (reader.Metadata, payload.ToArray());
    }

    /// <summary>Loads the file and returns the snapshot error, or <see langword="null"/> when the whole payload loaded.</summary>
    public static async Task<SnapshotException?> TryLoadAsync(string path, long maxSnapshotBytes = FileSystemSnapshotStoreOptions.DefaultMaxSnapshotBytes)
    {
        try
        {
            await LoadAsync(path, maxSnapshotBytes);
            return null;
        }
        catch (SnapshotException exception)
        {
            return exception;
        }
    }

    public static SnapshotMetadata ReadHeader(string path, long maxSnapshotBytes = FileSystemSnapshotStoreOptions.DefaultMaxSnapshotBytes)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        return SnapshotFile.ReadHeader(handle, path, maxSnapshotBytes);
    }

    /// <summary>Header length of a file: u16 at offset 10.</summary>
    public static int HeaderLength(ReadOnlySpan<byte> file) => BinaryPrimitives.ReadUInt16LittleEndian(file[10..]);

    /// <summary>Recomputes the header checksum (CRC-32 over the header before its last 4 bytes), as a forger would.</summary>
    public static void ResealHeader(Span<byte> file)
    {
        var headerLength = HeaderLength(file);
        BinaryPrimitives.WriteUInt32LittleEndian(file[(headerLength - 4)..], Crc32.HashToUInt32(file[..(headerLength - 4)]));
    }

    /// <summary>
    /// Builds a file around arbitrary stored bytes with a valid header checksum and a valid trailer, as a buggy or
    /// hostile writer could: only the decoder and the length bound stand between these bytes and the loader.
    /// </summary>
    public static byte[] Assemble(ReadOnlySpan<byte> templateFile, ReadOnlySpan<byte> stored, long uncompressedLength)
    {
        var headerLength = HeaderLength(templateFile);
        var file = new byte[headerLength + stored.Length + 24];
        templateFile[..headerLength].CopyTo(file);
        BinaryPrimitives.WriteInt64LittleEndian(file.AsSpan(36), uncompressedLength);
        BinaryPrimitives.WriteInt64LittleEndian(file.AsSpan(44), stored.Length);
        ResealHeader(file);
        stored.CopyTo(file.AsSpan(headerLength));
        var trailer = file.AsSpan(headerLength + stored.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(trailer, XxHash3.HashToUInt64(stored));
        BinaryPrimitives.WriteInt64LittleEndian(trailer[8..], stored.Length);
        templateFile[^8..].CopyTo(trailer[16..]);
        return file;
    }

    /// <summary>A deterministic JSON document of roughly <paramref name="approximateBytes"/> bytes.</summary>
    public static byte[] Json(int approximateBytes, int seed = 1)
    {
        var random = new Random(seed);
        var json = new StringBuilder(approximateBytes + 256);
        json.Append("{\"buckets\":[");
        for (var i = 0; json.Length < approximateBytes; i++)
        {
            if (i > 0)
            {
                json.Append(',');
            }

            json.Append("{\"name\":\"bucket-").Append(i)
                .Append("\",\"region\":\"us-east-").Append(random.Next(1, 3))
                .Append("\",\"objects\":").Append(random.Next(0, 100000))
                .Append(",\"etag\":\"").Append(random.NextInt64().ToString("x16", System.Globalization.CultureInfo.InvariantCulture))
                .Append("\"}");
        }

        json.Append("]}");
        return Encoding.UTF8.GetBytes(json.ToString());
    }

    /// <summary>The folder of these tests in the source tree (holds __snapshots__ and Golden), found from the source path or the test binaries.</summary>
    public static string SourceFolder([CallerFilePath] string sourceFile = "")
    {
        var direct = Path.GetDirectoryName(sourceFile);
        if (direct is not null && Directory.Exists(Path.Combine(direct, "Golden")))
        {
            return direct;
        }

        // Deterministic CI builds map source paths; the test binaries live under the project folder.
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "Storage", "Format");
            if (Directory.Exists(Path.Combine(candidate, "Golden")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("Cannot find tests/LocalStack.Persistence.Tests/Storage/Format in the source tree.");
    }

    /// <summary>Set LSP_UPDATE_GOLDEN=1 to (re)create committed golden files and snapshots; never set in CI.</summary>
    public static bool UpdateGolden => Environment.GetEnvironmentVariable("LSP_UPDATE_GOLDEN") == "1";
}
