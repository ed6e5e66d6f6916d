namespace LocalStack.Persistence.CrashChild;

internal static class InPlaceSaveLoop
{
    public static Task<int> RunAsync(string[] args) => throw new NotImplementedException("InPlaceSaveLoop is not written yet.");
}
