namespace LocalStack.Persistence.Testing;

/// <summary>
/// A conformance check failed: the message says which check, what was expected and what was found. Thrown by every
/// check of this package, so any test framework reports it as a failure.
/// </summary>
public sealed class PersistenceCheckException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PersistenceCheckException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What was expected and what was found.</param>
    public PersistenceCheckException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What was expected and what was found.</param>
    /// <param name="innerException">The exception the code under test threw, if any.</param>
    public PersistenceCheckException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception of a named check.</summary>
    /// <param name="checkName">The check that failed.</param>
    /// <param name="message">What was expected and what was found.</param>
    /// <param name="innerException">The exception the code under test threw, if any.</param>
    public PersistenceCheckException(string checkName, string message, Exception? innerException)
        : base($"{checkName}: {message}", innerException)
    {
        CheckName = checkName;
    }

    /// <summary>The check that failed, when known.</summary>
    public string? CheckName { get; }
}
