using System.Text.RegularExpressions;

namespace LocalStack.Persistence.State;

/// <summary>
/// Validates asset names: the relative paths of asset files inside a generation folder.
/// </summary>
/// <remarks>
/// A valid name is at most <see cref="MaxLength"/> characters long and made of <c>/</c>-separated segments of
/// <c>[A-Za-z0-9._-]</c>; no segment is <c>.</c> or <c>..</c>, and the name neither starts nor ends with <c>/</c>.
/// So no asset path can leave its generation folder, whatever the caller passes.
/// Examples: <c>000000000000_us-east-1.db</c>, <c>buckets/my-bucket/0001.blob</c>.
/// </remarks>
public static partial class AssetNames
{
    /// <summary>The longest valid asset name, in characters.</summary>
    public const int MaxLength = 255;

    [GeneratedRegex(@"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    /// <summary>Returns whether <paramref name="assetName"/> is a valid asset name.</summary>
    /// <param name="assetName">The name to check; <see langword="null"/> is invalid.</param>
    /// <returns><see langword="true"/> when the name stays inside its generation folder.</returns>
    public static bool IsValid(string? assetName) => Explain(assetName) is null;

    /// <summary>Throws <see cref="ArgumentException"/> naming the problem when <paramref name="assetName"/> is invalid.</summary>
    /// <param name="assetName">The name to check.</param>
    /// <param name="paramName">The parameter name reported in the exception.</param>
    /// <exception cref="ArgumentException">The name is not a valid asset name.</exception>
    public static void ThrowIfInvalid(string? assetName, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(assetName))] string? paramName = null)
    {
        if (Explain(assetName) is { } reason)
        {
            var shown = assetName is null ? "(null)" : "\"" + (assetName.Length > 80 ? assetName[..80] + "..." : assetName) + "\"";
            throw new ArgumentException($"Invalid asset name {shown}: {reason}", paramName);
        }
    }

    /// <summary>The full path of an asset inside <paramref name="generationDirectory"/>; the name must be valid.</summary>
    internal static string Combine(string generationDirectory, string assetName)
        => Path.Join(generationDirectory, assetName.Replace('/', Path.DirectorySeparatorChar));

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
            return "it must be a relative path of '/'-separated segments of letters, digits, '.', '_' and '-'.";
        }

        foreach (var segment in name.Split('/'))
        {
            if (segment is "." or "..")
            {
                return "it must not contain '.' or '..' segments.";
            }
        }

        return null;
    }
}
