using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace LocalStack.Persistence.State;

/// <summary>
/// Finds the override pairs (sync or async) a provider type overrides neither member of. Outside the annotated
/// provider base because a method with reflection requirements may not be kept by that type's annotation.
/// </summary>
internal static class ProviderOverrides
{
    // Per provider type: null when it overrides one member of each pair, otherwise the error. Found once by reflection.
    private static readonly ConcurrentDictionary<Type, string?> Problems = new();

    /// <summary>The error naming the provider type and every pair it overrides neither member of, or <see langword="null"/>.</summary>
    /// <param name="type">The provider's runtime type.</param>
    /// <param name="declaringType">The base class that declares the pairs' virtual members.</param>
    /// <param name="pairs">The pairs' signatures, as the message names them: <c>Name(parameters)</c>.</param>
    public static string? FindMissing(
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.NonPublicMethods)] Type type,
        Type declaringType,
        IReadOnlyList<(string Sync, string Async)> pairs)
    {
        if (Problems.TryGetValue(type, out var problem))
        {
            return problem;
        }

        // The most derived override of each of the base's virtual methods (inherited protected ones included).
        var overridden = type.GetMethods(BindingFlags.Instance | BindingFlags.NonPublic)
            .Where(m => m.DeclaringType != declaringType && m.GetBaseDefinition().DeclaringType == declaringType)
            .Select(m => m.Name)
            .ToHashSet(StringComparer.Ordinal);
        var missing = pairs
            .Where(p => !overridden.Contains(MethodName(p.Sync)) && !overridden.Contains(MethodName(p.Async)))
            .Select(p => $"neither {p.Sync} nor {p.Async}")
            .ToArray();
        problem = missing.Length == 0
            ? null
            : $"State provider '{type}' overrides {string.Join(", ", missing)}; override one member of each pair (the async one calls the sync one by default).";
        Problems.TryAdd(type, problem);
        return problem;
    }

    private static string MethodName(string signature) => signature[..signature.IndexOf('(', StringComparison.Ordinal)];
}
