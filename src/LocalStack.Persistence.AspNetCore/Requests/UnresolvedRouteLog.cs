using System.Collections.Concurrent;

namespace LocalStack.Persistence.AspNetCore.Requests;

/// <summary>
/// Remembers which routes have been reported as belonging to no persisted service, so that each is logged once; bounded,
/// so that requests to ever new paths (no endpoint) cannot grow it without end.
/// </summary>
internal sealed class UnresolvedRouteLog
{
    /// <summary>How many routes are remembered; past that, one last warning says further routes go unreported.</summary>
    public const int MaxRoutes = 1024;

    private readonly ConcurrentDictionary<string, byte> _routes = new(StringComparer.Ordinal);
    private int _full;

    /// <summary>Records a request to <paramref name="route"/>.</summary>
    /// <returns>Whether to log it (its first time), and whether the memory has just become full.</returns>
    public (bool First, bool NowFull) Seen(string route)
    {
        if (_routes.ContainsKey(route))
        {
            return (false, false);
        }

        if (_routes.Count >= MaxRoutes)
        {
            return (false, Interlocked.Exchange(ref _full, 1) == 0);
        }

        return (_routes.TryAdd(route, 0), false);
    }
}
