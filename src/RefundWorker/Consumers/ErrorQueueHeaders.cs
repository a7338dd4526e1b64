using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using RabbitMQ.Client;

namespace RefundWorker.Consumers;

/// <summary>
/// The properties a message carries into <c>&lt;queue&gt;_error</c>: its own (message id, content type, headers,
/// persistence) plus the reason in the headers MassTransit writes (<c>MT-Reason</c>, <c>MT-Fault-*</c>,
/// <c>MT-Host-*</c>), so the dead-letter console, <c>ops dead-letters</c>, replay and anyone's existing tooling read
/// a letter the same whichever path faulted it. The body is never changed.
/// </summary>
internal static class ErrorQueueHeaders
{
    private static readonly Dictionary<string, string> Host = HostHeaders();

    /// <summary>A fault: the message could not be read, recorded or accepted (<c>MT-Reason: fault</c>).</summary>
    public static BasicProperties Fault(IReadOnlyBasicProperties original, Exception fault, string? consumerType, int retryCount, DateTimeOffset at)
    {
        var p = Copy(original, "fault");
        var h = p.Headers!;
        h["MT-Fault-ExceptionType"] = fault.GetType().FullName;
        h["MT-Fault-Message"] = fault.Message;
        h["MT-Fault-Timestamp"] = at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        h["MT-Fault-StackTrace"] = fault.StackTrace ?? fault.InnerException?.StackTrace ?? string.Empty;
        h["MT-Fault-RetryCount"] = retryCount;
        if (consumerType is not null)
        {
            h["MT-Fault-ConsumerType"] = consumerType;
        }

        return p;
    }

    /// <summary>Nobody here consumes the message's type (<c>MT-Reason: dead-letter</c>); the reason in <c>MT-Fault-Message</c>.</summary>
    public static BasicProperties DeadLetter(IReadOnlyBasicProperties original, string reason, DateTimeOffset at)
    {
        var p = Copy(original, "dead-letter");
        p.Headers!["MT-Fault-Message"] = reason;
        p.Headers!["MT-Fault-Timestamp"] = at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        return p;
    }

    private static BasicProperties Copy(IReadOnlyBasicProperties original, string reason)
    {
        var p = new BasicProperties(original)
        {
            // Whatever the sender chose, a letter waiting for an operator survives a broker restart.
            DeliveryMode = DeliveryModes.Persistent,
        };
        var headers = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (original.Headers is { } h)
        {
            foreach (var (k, v) in h)
            {
                // The broker's own bookkeeping of earlier trips is not part of this fault.
                if (!Admin.AmqpHeaders.IsBrokerBookkeeping(k))
                {
                    headers[k] = v;
                }
            }
        }

        headers["MT-Reason"] = reason;
        foreach (var (k, v) in Host)
        {
            headers[k] = v;
        }

        p.Headers = headers;
        return p;
    }

    private static Dictionary<string, string> HostHeaders()
    {
        var entry = Assembly.GetEntryAssembly()?.GetName();
        using var process = Process.GetCurrentProcess();
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["MT-Host-MachineName"] = Environment.MachineName,
            ["MT-Host-ProcessName"] = process.ProcessName,
            ["MT-Host-ProcessId"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            ["MT-Host-Assembly"] = entry?.Name ?? "RefundWorker",
            ["MT-Host-AssemblyVersion"] = entry?.Version?.ToString() ?? string.Empty,
            ["MT-Host-FrameworkVersion"] = RuntimeInformation.FrameworkDescription,
            ["MT-Host-OperatingSystemVersion"] = RuntimeInformation.OSDescription,
        };
    }
}
