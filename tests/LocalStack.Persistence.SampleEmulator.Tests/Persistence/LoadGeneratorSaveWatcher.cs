using System.Diagnostics;
using System.Text.Json;

namespace LocalStack.Persistence.SampleEmulator.Tests.Persistence;

/// <summary>
/// Polls <c>GET /_localstack/state</c> while the load runs and records, per poll, when it was sent (on the ledger's
/// monotonic clock) and the generation each service reported. From that it derives, for the generation a kill left
/// committed, a time before which every acknowledged write must be in it (<see cref="SafeBefore"/>).
/// </summary>
internal sealed class LoadGeneratorSaveWatcher(string serviceUrl, Stopwatch clock)
{
    private readonly List<(TimeSpan Sent, Dictionary<string, long> Generations)> _polls = [];

    public int Polls => _polls.Count;

    public async Task RunAsync(CancellationToken stop)
    {
        using var http = new HttpClient { BaseAddress = new Uri(serviceUrl), Timeout = TimeSpan.FromSeconds(10) };
        while (!stop.IsCancellationRequested)
        {
            var sent = clock.Elapsed;
            try
            {
                using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri("/_localstack/state", UriKind.Relative), stop));
                var generations = document.RootElement.GetProperty("services").EnumerateArray()
                    .ToDictionary(s => s.GetProperty("service").GetString()!, s => s.GetProperty("generation").GetInt64(), StringComparer.Ordinal);
                lock (_polls)
                {
                    _polls.Add((sent, generations));
                }

                await Task.Delay(25, stop); // the poll rate, not synchronisation
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpRequestException)
            {
                return; // killed
            }
        }
    }

    /// <summary>How many times the polls saw the generation of <paramref name="service"/> change (saves committed while watched).</summary>
    public int ChangesSeen(string service)
    {
        lock (_polls)
        {
            return _polls.Select(p => p.Generations.GetValueOrDefault(service)).Distinct().Count() - 1;
        }
    }

    /// <summary>
    /// Saves of a service are serialized and generations only grow. If a poll sent at <c>p</c> saw generation
    /// <c>a</c> and a later poll saw <c>b</c> with <c>a &lt; b &lt; committed</c>, then save <c>b</c> committed after
    /// <c>p</c>, and the capture of the committed save started after that commit: every write acknowledged before
    /// <c>p</c> is in it. Returns the latest such <c>p</c>, or null when the polls do not show two saves.
    /// </summary>
    public TimeSpan? SafeBefore(string service, long committed)
    {
        TimeSpan? safe = null;
        for (var i = 0; i < _polls.Count; i++)
        {
            if (!_polls[i].Generations.TryGetValue(service, out var a))
            {
                continue;
            }

            for (var j = i + 1; j < _polls.Count; j++)
            {
                if (_polls[j].Generations.TryGetValue(service, out var b) && a < b && b < committed)
                {
                    safe = _polls[i].Sent;
                    break;
                }
            }
        }

        return safe;
    }

    /// <summary>Observed save durations cannot be measured from outside; this is the longest gap between two generation changes of a service.</summary>
    public TimeSpan LongestGapBetweenSaves(string service)
    {
        var changes = new List<TimeSpan>();
        long? last = null;
        foreach (var (sent, generations) in _polls)
        {
            if (generations.TryGetValue(service, out var g) && g != last)
            {
                if (last is not null)
                {
                    changes.Add(sent);
                }

                last = g;
            }
        }

        return changes.Count < 2 ? TimeSpan.Zero : changes.Zip(changes.Skip(1), (x, y) => y - x).Max();
    }
}
