namespace LocalStack.Persistence.CrashChild;

internal static class SqliteStagingLoop
{
    public static Task<int> RunAsync(string[] args) => throw new NotImplementedException("SqliteStagingLoop is not written yet.");
}
