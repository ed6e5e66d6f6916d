namespace LocalStack.Persistence.CrashChild;

internal static class HoldLock
{
    public static Task<int> RunAsync(string[] args) => throw new NotImplementedException("HoldLock is not written yet.");
}
