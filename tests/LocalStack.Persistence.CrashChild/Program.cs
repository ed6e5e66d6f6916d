using LocalStack.Persistence.CrashChild;

// Usage: LocalStack.Persistence.CrashChild <mode> [arguments...]
// Each mode prints one line per acknowledged step to stdout and flushes it, so that the parent knows
// what was durable before it sent SIGKILL.
if (args.Length == 0)
{
    await Console.Error.WriteLineAsync("usage: LocalStack.Persistence.CrashChild <mode> [arguments...]");
    return 2;
}

var rest = args[1..];
return args[0] switch
{
    "store-save-loop" => await StoreSaveLoop.RunAsync(rest),
    "keyed-save-loop" => await KeyedSaveLoop.RunAsync(rest),
    "inplace-save-loop" => await InPlaceSaveLoop.RunAsync(rest),
    "hold-lock" => await HoldLock.RunAsync(rest),
    "sqlite-staging-loop" => await SqliteStagingLoop.RunAsync(rest),
    "blob-save-loop" => await BlobSaveLoop.RunAsync(rest),
    _ => Unknown(args[0]),
};

static int Unknown(string mode)
{
    Console.Error.WriteLine($"unknown mode '{mode}'");
    return 2;
}
