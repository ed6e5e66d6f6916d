using System.Collections.Concurrent;

namespace LocalStack.Persistence.AspNetCore.Requests;

/// <summary>
/// Keeps a faulted service from flooding the log: the fault is logged in full once (per service, per fault), then its
/// refusals at most once per interval as one line. A request that gets through (the service loaded) ends the fault, so
/// that the next fault is logged in full again; so does a different fault.
/// </summary>
internal sealed class ServiceFaultLog(TimeProvider timeProvider, TimeSpan interval)
{
    private readonly ConcurrentDictionary<string, Entry> _faults = new(StringComparer.Ordinal);

    /// <summary>What to log for one refusal.</summary>
    public enum Kind
    {
        /// <summary>A new fault: log it with its exception.</summary>
        Fault,

        /// <summary>The same fault, and the interval has passed: one line, with the refusals since the last.</summary>
        Reminder,

        /// <summary>The same fault within the interval: nothing.</summary>
        None,
    }

    /// <summary>Records a refusal of <paramref name="serviceName"/>'s request because of <paramref name="exception"/>.</summary>
    /// <returns>What to log, and how many refusals were not logged since the last line.</returns>
    public (Kind Kind, long Unlogged) Refused(string serviceName, Exception exception)
    {
        var fault = exception.GetType().FullName + ": " + exception.Message;
        var now = timeProvider.GetTimestamp();
        var entry = _faults.GetOrAdd(serviceName, static _ => new Entry());
        lock (entry)
        {
            if (!string.Equals(entry.Fault, fault, StringComparison.Ordinal))
            {
                (entry.Fault, entry.LastLogged, entry.Unlogged) = (fault, now, 0);
                return (Kind.Fault, 0);
            }

            if (timeProvider.GetElapsedTime(entry.LastLogged, now) >= interval)
            {
                var unlogged = entry.Unlogged;
                (entry.LastLogged, entry.Unlogged) = (now, 0);
                return (Kind.Reminder, unlogged);
            }

            entry.Unlogged++;
            return (Kind.None, 0);
        }
    }

    /// <summary>Records that a request to <paramref name="serviceName"/> got through: its fault, if any, has ended.</summary>
    public void Served(string serviceName)
    {
        // The common case, no fault, is a lock-free look-up (IsEmpty would take every lock when empty).
        if (_faults.ContainsKey(serviceName))
        {
            _faults.TryRemove(serviceName, out _);
        }
    }

    private sealed class Entry
    {
        public string? Fault { get; set; }

        public long LastLogged { get; set; }

        public long Unlogged { get; set; }
    }
}
