namespace LocalStack.Persistence.CrashChild;

internal static class StoreSaveLoop
{
    public static Task<int> RunAsync(string[] args) => throw new NotImplementedException("StoreSaveLoop is not written yet.");
}
