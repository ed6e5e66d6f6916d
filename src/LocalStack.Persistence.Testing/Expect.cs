using System.Collections;
using System.Globalization;

namespace LocalStack.Persistence.Testing;

/// <summary>The assertions of the checks: each failure is a <see cref="PersistenceCheckException"/> saying what was expected and what was found.</summary>
internal static class Expect
{
    public static PersistenceCheckException Failure(string message, Exception? inner = null) => new(message, inner);

    public static void True(bool condition, string message)
    {
        if (!condition)
        {
            throw Failure(message);
        }
    }

    public static void Equal<T>(T expected, T actual, string what)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
        {
            throw Failure($"{what}: expected {Show(expected)}, found {Show(actual)}.");
        }
    }

    public static void SequenceEqual<T>(IEnumerable<T> expected, IEnumerable<T> actual, string what)
    {
        var e = expected.ToList();
        var a = actual.ToList();
        if (!e.SequenceEqual(a))
        {
            throw Failure($"{what}: expected {Show(e)}, found {Show(a)}.");
        }
    }

    public static void Null(object? actual, string what)
    {
        if (actual is not null)
        {
            throw Failure($"{what}: expected nothing (null), found {Show(actual)}.");
        }
    }

    public static T NotNull<T>(T? actual, string what)
        where T : class
        => actual ?? throw Failure($"{what}: expected a value, found null.");

    /// <summary>Two payloads, byte for byte; the message gives the lengths and the first differing offset.</summary>
    public static void SameBytes(byte[] expected, byte[]? found, string what)
    {
        if (found is null)
        {
            throw Failure($"{what}: expected {expected.Length} bytes, found no snapshot.");
        }

        ReadOnlySpan<byte> actual = found;
        var at = expected.CommonPrefixLength(actual);
        if (at == expected.Length && at == actual.Length)
        {
            return;
        }

        throw Failure($"{what}: expected {expected.Length} bytes, found {actual.Length}; they differ first at byte {at} " +
            $"(expected {(at < expected.Length ? "0x" + expected[at].ToString("x2", CultureInfo.InvariantCulture) : "the end")}, found {(at < actual.Length ? "0x" + actual[at].ToString("x2", CultureInfo.InvariantCulture) : "the end")}).");
    }

    /// <summary>Runs <paramref name="call"/> and expects <typeparamref name="TException"/> (or a subclass).</summary>
    public static async Task<TException> ThrowsAsync<TException>(Func<Task> call, string what)
        where TException : Exception
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (TException e)
        {
            return e;
        }
        catch (Exception e)
        {
            throw Failure($"{what}: expected {typeof(TException).Name}, found {e.GetType().Name}: {e.Message}", e);
        }

        throw Failure($"{what}: expected {typeof(TException).Name}, but it completed without an exception.");
    }

    /// <summary>Two metadata records of one snapshot; the creation time only to the millisecond a format may round it to.</summary>
    public static void SameSnapshot(SnapshotMetadata? actual, SnapshotMetadata expected, string what)
    {
        var found = NotNull(actual, what);
        if (found with { CreatedAt = expected.CreatedAt } != expected || (found.CreatedAt - expected.CreatedAt).Duration() > TimeSpan.FromMilliseconds(1))
        {
            throw Failure($"{what}: expected {expected}, found {found}.");
        }
    }

    public static string Show(object? value) => value switch
    {
        null => "null",
        string s => s.Length > 80 ? $"\"{s[..40]}…\" ({s.Length} chars)" : $"\"{s}\"",
        byte[] bytes => $"{bytes.Length} bytes",
        IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Show)) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "?",
    };
}
