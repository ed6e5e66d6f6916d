using LocalStack.Persistence;
using LocalStack.Persistence.SampleEmulator;

// A minimal emulator on 127.0.0.1:4566 whose state survives restarts through LocalStack.Persistence.
// LocalStack's variables apply: PERSISTENCE (on by default in the sample), SNAPSHOT_SAVE_STRATEGY,
// SNAPSHOT_LOAD_STRATEGY, SNAPSHOT_FLUSH_INTERVAL, LOCALSTACK_VOLUME_DIR (default ./volume); GATEWAY_LISTEN (host:port).
var builder = WebApplication.CreateSlimBuilder(args);

// Lowest-priority defaults of the sample: environment variables and appsettings override them.
builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
{
    InitialData = new Dictionary<string, string?> { ["PERSISTENCE"] = "1", ["LOCALSTACK_VOLUME_DIR"] = "volume" },
});
builder.WebHost.UseUrls($"http://{(builder.Configuration["GATEWAY_LISTEN"] is { Length: > 0 } listen ? listen : "127.0.0.1:4566")}");

builder.Services.AddSnapshotPersistence()
    .AddServiceState<KeyValueService>();

var app = builder.Build();
KeyValueEndpoints.Map(app);
StateEndpoints.Map(app);
await app.RunAsync();
