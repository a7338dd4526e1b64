using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace RefundWorker.Tests.Telemetry;

/// <summary>Every log record a worker writes, as the OTLP log exporter sees it: the formatted message, the state's
/// key/values, the exception, and the trace and span ids of the span it was written in.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<Entry> All => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>One record. <see cref="TraceId"/> and <see cref="SpanId"/> are empty outside any span.</summary>
    public sealed record Entry(string Category, LogLevel Level, string Message, IReadOnlyList<KeyValuePair<string, object?>> State, string? Exception, string TraceId, string SpanId)
    {
        /// <summary>Everything of the record a log store would keep, as text.</summary>
        public IEnumerable<string> Texts => State.Select(s => $"{s.Key}={s.Value}").Append(Message).Append(Exception ?? string.Empty).Append(Category);
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            var activity = Activity.Current;
            owner._entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), [.. values], exception?.ToString(),
                activity?.TraceId.ToHexString() ?? string.Empty, activity?.SpanId.ToHexString() ?? string.Empty));
        }
    }
}
