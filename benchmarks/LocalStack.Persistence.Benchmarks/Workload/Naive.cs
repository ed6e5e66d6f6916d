using System.Text.Json;

namespace LocalStack.Persistence.Benchmarks.Workload;

/// <summary>The baselines: what an emulator does without this library.</summary>
public static class Naive
{
    /// <summary>(a) The naive unsafe save: serialize to one array, overwrite the file in place, fsync.</summary>
    public static long Save(S3State state, string path)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(state, BenchJsonContext.Default.S3State);
        File.WriteAllBytes(path, bytes);
        Fsync(path);
        return bytes.Length;
    }

    /// <summary>(b) A raw write of <paramref name="bytes"/> plus fsync: the disk's limit for that many bytes.</summary>
    public static void RawWrite(byte[] bytes, string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>(c) The naive load: read the whole file, deserialize.</summary>
    public static S3State Load(string path)
        => JsonSerializer.Deserialize(File.ReadAllBytes(path), BenchJsonContext.Default.S3State)
           ?? throw new InvalidDataException("null state");

    /// <summary>fsync of an existing file.</summary>
    public static void Fsync(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1);
        stream.Flush(flushToDisk: true);
    }
}
