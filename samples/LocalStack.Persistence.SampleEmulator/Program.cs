using LocalStack.Persistence.SampleEmulator;

// A minimal emulator on 127.0.0.1:4566 whose state survives restarts through LocalStack.Persistence.
// Environment: GATEWAY_LISTEN (host:port), PERSISTENCE (1/0, default 1), LOCALSTACK_VOLUME_DIR (default ./volume).
var settings = EmulatorSettings.FromEnvironment(Environment.GetEnvironmentVariables());
var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseUrls($"http://{settings.Listen}");
builder.Services.AddSingleton(settings);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<KeyValueService>();
builder.Services.AddSingleton<EmulatorPersistence>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<EmulatorPersistence>());

var app = builder.Build();
KeyValueEndpoints.Map(app);
StateEndpoints.Map(app);
await app.RunAsync();
