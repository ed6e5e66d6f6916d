using System.Text.RegularExpressions;

namespace LocalStack.Persistence;

/// <summary>
/// Validates service names before they reach the file system.
/// </summary>
/// <remarks>
/// A valid name matches <c>^[a-z0-9][a-z0-9._-]{0,63}$</c>, is not a Windows device name
/// (<c>con</c>, <c>nul</c>, <c>com1</c>, ...), does not end with a dot and is not <c>api_states</c> (the folder of
/// every state file in the state folder's layout). Names are AWS service
/// codes in practice: <c>s3</c>, <c>sqs</c>, <c>dynamodb</c>.
/// </remarks>
public static partial class ServiceNameRules
{
    /// <summary>The longest valid service name, in characters.</summary>
    public const int MaxLength = 64;

    private static readonly HashSet<string> DeviceNames = new(StringComparer.Ordinal)
    {
        "con", "prn", "aux", "nul",
        "com0", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9",
        "lpt0", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
    };

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._-]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    /// <summary>Returns whether <paramref name="serviceName"/> is a valid service name.</summary>
    /// <param name="serviceName">The name to check; <see langword="null"/> is invalid.</param>
    /// <returns><see langword="true"/> when the name may be used as a folder name under the state root.</returns>
    public static bool IsValid(string? serviceName) => Explain(serviceName) is null;

    /// <summary>Throws <see cref="ArgumentException"/> naming the problem when <paramref name="serviceName"/> is invalid.</summary>
    /// <param name="serviceName">The name to check.</param>
    /// <param name="paramName">The parameter name reported in the exception.</param>
    /// <exception cref="ArgumentException">The name is not a valid service name.</exception>
    public static void ThrowIfInvalid(string? serviceName, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(serviceName))] string? paramName = null)
    {
        if (Explain(serviceName) is { } reason)
        {
            throw new ArgumentException($"Invalid service name {Quote(serviceName)}: {reason}", paramName);
        }
    }

    private static string? Explain(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "it is empty.";
        }

        if (name.Length > MaxLength)
        {
            return $"it is {name.Length} characters long; at most {MaxLength} are allowed.";
        }

        if (!Pattern().IsMatch(name))
        {
            return "it must match ^[a-z0-9][a-z0-9._-]{0,63}$ (lower-case letters, digits, '.', '_' and '-', starting with a letter or digit).";
        }

        if (name.EndsWith('.'))
        {
            return "it must not end with '.'.";
        }

        // <state>/api_states is the folder of every state file; a service of that name would put its asset
        // generations among them.
        if (name == "api_states")
        {
            return "the state folder layout reserves it.";
        }

        var stem = name.Split('.')[0];
        if (DeviceNames.Contains(stem))
        {
            return "it is a reserved device name on Windows.";
        }

        return null;
    }

    private static string Quote(string? name)
    {
        if (name is null)
        {
            return "(null)";
        }

        var shown = name.Length > 80 ? name[..80] + "..." : name;
        return "\"" + Regex.Replace(shown, @"[\x00-\x1f\x7f]", m => $"\\x{(int)m.Value[0]:x2}") + "\"";
    }
}
