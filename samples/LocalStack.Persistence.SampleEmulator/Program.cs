using LocalStack.Persistence;
using LocalStack.Persistence.AspNetCore;
using LocalStack.Persistence.AspNetCore.Aws;
using LocalStack.Persistence.SampleEmulator;
using LocalStack.Persistence.SampleEmulator.Aws;
using LocalStack.Persistence.SampleEmulator.DynamoDb;
using LocalStack.Persistence.SampleEmulator.S3;
using LocalStack.Persistence.SampleEmulator.Sqs;

// S3, SQS and DynamoDB on 127.0.0.1:4566 whose state survives restarts and crashes through LocalStack.Persistence.
// LocalStack's variables apply: PERSISTENCE (on by default in the sample), SNAPSHOT_SAVE_STRATEGY, SNAPSHOT_LOAD_STRATEGY,
// SNAPSHOT_FLUSH_INTERVAL, LOCALSTACK_VOLUME_DIR (default ./volume); GATEWAY_LISTEN (host:port).
// Tests only: LSP_TEST_CLOCK_START=<ISO-8601 instant> starts the app's clock at that instant (SampleClock).
var builder = WebApplication.CreateSlimBuilder(args);

// Lowest-priority defaults of the sample: environment variables and appsettings override them.
builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
{
    InitialData = new Dictionary<string, string?>
    {
        ["PERSISTENCE"] = "1",
        ["LOCALSTACK_VOLUME_DIR"] = "volume",

        // Group commit for ON_REQUEST over the network: a save after a batch of several clients waits up to 8 ms for
        // them to come back (a round trip) before its capture (docs/performance.md, target 4 over HTTP).
        ["SnapshotPersistence:CommitDelay"] = "00:00:00.008",
    },
});
builder.WebHost.UseUrls($"http://{(builder.Configuration["GATEWAY_LISTEN"] is { Length: > 0 } listen ? listen : "127.0.0.1:4566")}");
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);

// The one clock of the sample and the library: the system clock, or the test clock of LSP_TEST_CLOCK_START.
var clock = SampleClock.FromConfiguration(builder.Configuration);
builder.Services.AddSingleton(clock);
builder.Services.AddSingleton<AwsGateway>();
builder.Services.AddSingleton<WorkingDirectories>();

// LocalStack's routing: what no signature, target or host identifies is S3 (an unsigned curl to a bucket).
// S3 object uploads receive their bodies outside the gate themselves; the middleware reads every other body first.
builder.Services.AddSnapshotPersistence()
    .AddS3()
    .AddSqs()
    .AddDynamoDb()
    .UseServiceRequestResolver(_ => new S3UploadRequestResolver(new AwsServiceRequestResolver(S3Module.ServiceName)));

var app = builder.Build();
SampleClock.WarnIfTestClock(clock, app.Logger);
app.UseSnapshotPersistence();
app.MapSnapshotEndpoints();   // POST /_localstack/state[/<service>]/save|load|reset|delete, GET /_localstack/state
app.MapSnapshotHealth();      // GET /_localstack/health
app.Map("/{**path}", (HttpContext http, AwsGateway gateway) => gateway.HandleAsync(http));
await app.RunAsync();

