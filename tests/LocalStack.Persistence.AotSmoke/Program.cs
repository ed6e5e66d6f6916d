using LocalStack.Persistence.AotSmoke;

// Uses the library as an emulator would, compiled with native AOT: one line per check ("ok <check>" or
// "FAIL <check>: <error>"), then a summary; the exit code is 1 when a check failed.
var root = Directory.CreateTempSubdirectory("lsp-aot-smoke-").FullName;
try
{
    var smoke = new Smoke();
    await smoke.CheckAsync("sync overrides: save, reset, load, reopen", () => Checks.SyncOverridesAsync(Path.Combine(root, "sync")));
    await smoke.CheckAsync("async-only overrides with an asset: save, reset, load", () => Checks.AsyncOnlyOverridesAsync(Path.Combine(root, "async")));
    await smoke.CheckAsync("account-region provider: save, reset, load", () => Checks.AccountRegionProviderAsync(Path.Combine(root, "account-region")));
    await smoke.CheckAsync("schema migration: version 1 payload loaded by version 2", () => Checks.SchemaMigrationAsync(Path.Combine(root, "migration")));
    await smoke.CheckAsync("missing override pair refused at construction", Checks.MissingPairRefusedAsync);
    await smoke.CheckAsync("generic host: AddSnapshotPersistence, save, reset, load, load on start-up", () => Checks.GenericHostAsync(Path.Combine(root, "host")));
    return smoke.Report();
}
finally
{
    Directory.Delete(root, recursive: true);
}
