using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LocalStack.Persistence.AspNetCore.Tests.Support;

/// <summary>One log entry as a provider received it.</summary>
internal sealed record CapturedLog(string Category, LogLevel Level, int EventId, string Message, Exception? Exception);

/// <summary>A logger provider that keeps every entry, for tests that count what was logged.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _logs = new();

    public IReadOnlyList<CapturedLog> Logs => [.. _logs];

    /// <summary>The entries with this event id (the persistence middleware's are 200 and up).</summary>
    public IReadOnlyList<CapturedLog> WithEventId(int eventId) => [.. _logs.Where(l => l.EventId == eventId)];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => provider._logs.Enqueue(new CapturedLog(category, logLevel, eventId.Id, formatter(state, exception), exception));
    }
}
