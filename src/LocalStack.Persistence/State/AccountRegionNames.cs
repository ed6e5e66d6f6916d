using System.Text.RegularExpressions;

namespace LocalStack.Persistence.State;

/// <summary>Validates AWS account ids and region names, the keys of <see cref="AccountRegionStore{TStore}"/>.</summary>
/// <remarks>
/// An account id is exactly 12 ASCII digits (<c>000000000000</c>). A region is lower-case, at most
/// <see cref="MaxRegionLength"/> characters, and matches <c>^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$</c>: <c>us-east-1</c>,
/// <c>eu-central-1</c>, <c>us-gov-west-1</c>, <c>cn-north-1</c>, <c>ap-southeast-2</c>.
/// </remarks>
public static partial class AccountRegionNames
{
    /// <summary>The length of an account id, in digits.</summary>
    public const int AccountIdLength = 12;

    /// <summary>The longest valid region name, in characters.</summary>
    public const int MaxRegionLength = 32;

    [GeneratedRegex(@"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}\z", RegexOptions.CultureInvariant)]
    private static partial Regex RegionPattern();

    /// <summary>Returns whether <paramref name="accountId"/> is 12 ASCII digits.</summary>
    /// <param name="accountId">The value to check; <see langword="null"/> is invalid.</param>
    /// <returns><see langword="true"/> for a valid account id.</returns>
    public static bool IsValidAccountId(string? accountId)
        => accountId is { Length: AccountIdLength } && accountId.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0;

    /// <summary>Returns whether <paramref name="region"/> is a valid region name.</summary>
    /// <param name="region">The value to check; <see langword="null"/> is invalid.</param>
    /// <returns><see langword="true"/> for a valid region name.</returns>
    public static bool IsValidRegion(string? region)
        => region is { Length: > 0 and <= MaxRegionLength } && RegionPattern().IsMatch(region);

    /// <summary>Throws <see cref="ArgumentException"/> naming the value when <paramref name="accountId"/> is invalid.</summary>
    /// <param name="accountId">The value to check.</param>
    /// <param name="paramName">The parameter name reported in the exception.</param>
    /// <exception cref="ArgumentException">The value is not 12 ASCII digits.</exception>
    public static void ThrowIfInvalidAccountId(string? accountId, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(accountId))] string? paramName = null)
    {
        if (!IsValidAccountId(accountId))
        {
            throw new ArgumentException($"Invalid AWS account id {Quote(accountId)}: an account id is exactly {AccountIdLength} ASCII digits, for example 000000000000.", paramName);
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the value when <paramref name="region"/> is invalid.</summary>
    /// <param name="region">The value to check.</param>
    /// <param name="paramName">The parameter name reported in the exception.</param>
    /// <exception cref="ArgumentException">The value is not a valid region name.</exception>
    public static void ThrowIfInvalidRegion(string? region, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(region))] string? paramName = null)
    {
        if (!IsValidRegion(region))
        {
            throw new ArgumentException($"Invalid AWS region {Quote(region)}: a region is lower-case, at most {MaxRegionLength} characters, like us-east-1 or us-gov-west-1.", paramName);
        }
    }

    private static string Quote(string? value)
    {
        if (value is null)
        {
            return "(null)";
        }

        var shown = value.Length > 80 ? value[..80] + "..." : value;
        return "\"" + Regex.Replace(shown, @"[\x00-\x1f\x7f]", m => $"\\x{(int)m.Value[0]:x2}") + "\"";
    }
}
