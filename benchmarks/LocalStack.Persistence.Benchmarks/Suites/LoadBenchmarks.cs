using BenchmarkDotNet.Attributes;
using LocalStack.Persistence.Benchmarks.Workload;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Benchmarks.Suites;

/// <summary>Target 2 (load ≤ 1.0× the naive load): <see cref="ServiceSnapshotter.LoadAsync"/> against baseline (c).</summary>
[MemoryDiagnoser]
public class LoadBenchmarks
{
    private TempFolder? _folder;
    private FileSystemSnapshotStore? _store;
    private ServiceSnapshotter? _snapshotter;
    private MutableS3Provider? _provider;
    private string _naivePath = "";

    /// <summary>The state sizes.</summary>
    public static IEnumerable<int> Sizes => BenchSettings.SuiteSizes;

    /// <summary>Records in the service state.</summary>
    [ParamsSource(nameof(Sizes))]
    public int Records { get; set; }

    /// <summary>Writes the naive file and the snapshot of the same state.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var state = RecordFactory.CreateState(Records);
        _folder = new TempFolder("load");
        _store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(_folder.Path, "state") });
        _snapshotter = new ServiceSnapshotter(_store);
        _provider = new MutableS3Provider("s3", state);
        _naivePath = Path.Combine(_folder.Path, "naive.json");
        Naive.Save(state, _naivePath);
        _snapshotter.SaveAsync(_provider).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Removes the store and its folder.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _store?.Dispose();
        _folder?.Dispose();
    }

    /// <summary>(c) File.ReadAllBytes + JsonSerializer.Deserialize.</summary>
    [Benchmark(Baseline = true)]
    public int NaiveLoad() => Naive.Load(_naivePath).Objects.Count;

    /// <summary>The library's load: checksum-verified, streamed through the LZ4 decoder into the deserializer.</summary>
    [Benchmark]
    public async Task<int> SnapshotLoad()
    {
        await _snapshotter!.LoadAsync(_provider!).ConfigureAwait(false);
        return _provider!.State.Objects.Count;
    }
}
