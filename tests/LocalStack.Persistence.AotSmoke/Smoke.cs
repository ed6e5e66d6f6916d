namespace LocalStack.Persistence.AotSmoke;

/// <summary>Runs checks one by one and prints a line for each; a check fails by throwing.</summary>
internal sealed class Smoke
{
    private int _passed;
    private int _failed;

    public async Task CheckAsync(string name, Func<Task> check)
    {
        try
        {
            await check();
            _passed++;
            Console.WriteLine($"ok {name}");
        }
        catch (Exception e)
        {
            _failed++;
            Console.WriteLine($"FAIL {name}: {e}");
        }
    }

    /// <summary>Prints the summary and returns the exit code.</summary>
    public int Report()
    {
        Console.WriteLine(_failed == 0
            ? $"aot-smoke: all {_passed} checks passed"
            : $"aot-smoke: {_failed} of {_passed + _failed} checks failed");
        return _failed == 0 ? 0 : 1;
    }

    /// <summary>Fails the check unless <paramref name="condition"/> holds.</summary>
    public static void Expect(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("expected " + what);
        }
    }
}
