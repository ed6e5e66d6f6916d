namespace LocalStack.Persistence.Testing;

/// <summary>One named conformance check, for a test framework's data source (one test case per check).</summary>
public sealed class PersistenceCheck
{
    private readonly Func<CancellationToken, Task> _run;

    internal PersistenceCheck(string name, Func<CancellationToken, Task> run)
    {
        Name = name;
        _run = run;
    }

    /// <summary>The check's name, a sentence in identifier form, for example <c>A_second_write_replaces_the_first</c>.</summary>
    public string Name { get; }

    /// <summary>Runs the check on fresh resources (a new temporary folder).</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PersistenceCheckException">The check failed; the message says what was expected and what was found.</exception>
    public Task RunAsync(CancellationToken cancellationToken = default) => _run(cancellationToken);

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Runs <paramref name="body"/>; a failure that is not a <see cref="PersistenceCheckException"/> of this check is wrapped into one naming it.</summary>
    internal static async Task RunNamedAsync(string name, Func<Task> body, CancellationToken cancellationToken)
    {
        try
        {
            await body().ConfigureAwait(false);
        }
        catch (PersistenceCheckException e) when (e.CheckName is null)
        {
            throw new PersistenceCheckException(name, e.Message, e.InnerException);
        }
        catch (Exception e) when (e is not PersistenceCheckException && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw new PersistenceCheckException(name, $"unexpected {e.GetType().FullName}: {e.Message}", e);
        }
    }
}

/// <summary>The outcome of one check in a <see cref="PersistenceCheckReport"/>.</summary>
/// <param name="Name">The check's name.</param>
/// <param name="Failure">Why it failed, or <see langword="null"/> when it passed.</param>
public sealed record PersistenceCheckResult(string Name, Exception? Failure)
{
    /// <summary>Whether the check passed.</summary>
    public bool Passed => Failure is null;
}

/// <summary>The outcome of a set of checks run together.</summary>
public sealed class PersistenceCheckReport
{
    internal PersistenceCheckReport(IReadOnlyList<PersistenceCheckResult> results)
    {
        Results = results;
        Failures = [.. results.Where(r => !r.Passed)];
    }

    /// <summary>Every check, in the order run.</summary>
    public IReadOnlyList<PersistenceCheckResult> Results { get; }

    /// <summary>The checks that failed.</summary>
    public IReadOnlyList<PersistenceCheckResult> Failures { get; }

    /// <summary>Whether every check passed.</summary>
    public bool Passed => Failures.Count == 0;

    /// <summary>Throws when a check failed.</summary>
    /// <exception cref="PersistenceCheckException">One or more checks failed; the message lists each with its reason.</exception>
    public void ThrowIfFailed()
    {
        if (!Passed)
        {
            throw new PersistenceCheckException(ToString(), Failures.Count == 1 ? Failures[0].Failure : new AggregateException(Failures.Select(f => f.Failure!)));
        }
    }

    /// <inheritdoc />
    public override string ToString()
        => Passed
            ? $"{Results.Count} checks passed."
            : $"{Failures.Count} of {Results.Count} checks failed:\n" + string.Join("\n", Failures.Select(f => "- " + f.Failure!.Message));

    internal static async Task<PersistenceCheckReport> RunAsync(IEnumerable<PersistenceCheck> checks, CancellationToken cancellationToken)
    {
        var results = new List<PersistenceCheckResult>();
        foreach (var check in checks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await check.RunAsync(cancellationToken).ConfigureAwait(false);
                results.Add(new PersistenceCheckResult(check.Name, null));
            }
            catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                results.Add(new PersistenceCheckResult(check.Name, e as PersistenceCheckException ?? new PersistenceCheckException(check.Name, $"unexpected {e.GetType().FullName}: {e.Message}", e)));
            }
        }

        return new PersistenceCheckReport(results);
    }
}
