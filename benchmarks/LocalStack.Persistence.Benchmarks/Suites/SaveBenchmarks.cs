using System.Text.Json;
using BenchmarkDotNet.Attributes;
using LocalStack.Persistence.Benchmarks.Workload;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Benchmarks.Suites;

/// <summary>
/// Target 1 (crash-safe save ≤ 0.8× the naive save) and target 6 (allocations per save): the library's save through
/// <see cref="ServiceSnapshotter"/> against baselines (a) and (b) measured in the same run.
/// </summary>
[MemoryDiagnoser]
public class SaveBenchmarks
{
    private TempFolder? _folder;
    private FileSystemSnapshotStore? _store;
    private ServiceSnapshotter? _snapshotter;
    private MutableS3Provider? _buffered;
    private DeferredS3Provider? _deferred;
    private S3State? _state;
    private byte[] _rawBytes = [];
    private string _naivePath = "";
    private string _rawPath = "";

    /// <summary>The state sizes.</summary>
    public static IEnumerable<int> Sizes => BenchSettings.SuiteSizes;

    /// <summary>Records in the service state.</summary>
    [ParamsSource(nameof(Sizes))]
    public int Records { get; set; }

    /// <summary>Builds the state and the store, and saves once so that every measured save replaces a snapshot.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _state = RecordFactory.CreateState(Records);
        _folder = new TempFolder("save");
        _store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(_folder.Path, "state") });
        _snapshotter = new ServiceSnapshotter(_store);
        _buffered = new MutableS3Provider("s3", _state);
        _deferred = new DeferredS3Provider("s3deferred", _state);
        _naivePath = Path.Combine(_folder.Path, "naive.json");
        _rawPath = Path.Combine(_folder.Path, "raw.bin");
        _rawBytes = JsonSerializer.SerializeToUtf8Bytes(_state, BenchJsonContext.Default.S3State);
        Naive.Save(_state, _naivePath);
        var metadata = _snapshotter.SaveAsync(_buffered).AsTask().GetAwaiter().GetResult();
        _snapshotter.SaveAsync(_deferred).AsTask().GetAwaiter().GetResult();
        Console.WriteLine($"// state: {Records} records, JSON {metadata.UncompressedLength:N0} bytes, stored (LZ4) {metadata.StoredLength:N0} bytes, file {metadata.FileLength:N0} bytes");
    }

    /// <summary>Removes the store and its folder.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _store?.Dispose();
        _folder?.Dispose();
    }

    /// <summary>(a) SerializeToUtf8Bytes, File.WriteAllBytes, fsync: not crash-safe.</summary>
    [Benchmark(Baseline = true)]
    public long NaiveUnsafeSave() => Naive.Save(_state!, _naivePath);

    /// <summary>(b) Writing the naive save's number of bytes, already in memory, plus fsync.</summary>
    [Benchmark]
    public void RawWriteSameBytes() => Naive.RawWrite(_rawBytes, _rawPath);

    /// <summary>The library's crash-safe save with the default capture (serialized under the gate into pooled memory).</summary>
    [Benchmark]
    public async Task<long> CrashSafeSave() => (await _snapshotter!.SaveAsync(_buffered!).ConfigureAwait(false)).StoredLength;

    /// <summary>The library's crash-safe save with CaptureIsImmutable (serialized straight into the snapshot file).</summary>
    [Benchmark]
    public async Task<long> CrashSafeSaveImmutableCapture() => (await _snapshotter!.SaveAsync(_deferred!).ConfigureAwait(false)).StoredLength;
}
