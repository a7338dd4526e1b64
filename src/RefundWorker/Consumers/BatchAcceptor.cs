using System.Diagnostics;
using MassTransit;
using RefundWorker.Availability;
using RefundWorker.Operations;
using RefundWorker.Persistence;

namespace RefundWorker.Consumers;

/// <summary>
/// What the request consumers share: map a batch of messages onto operations, accept them in one transaction, and
/// when PostgreSQL refuses to record one of them even alone, fault that message only.
/// </summary>
/// <remarks>
/// A batch consumer that throws faults every message of the batch. MassTransit's batch collector spares a message
/// whose <see cref="ReceiveContext.IsDelivered"/> is set (BatchConsumer: "if this message was marked as
/// successfully delivered, do not fault it"), and <see cref="ConsumeContext.NotifyConsumed{T}"/> on a message's own
/// context sets it. So the accepted messages are marked consumed, then <see cref="UnrecordableRequestException"/> is
/// thrown: only the refused messages fault, and the endpoint's error pipe moves each to <c>&lt;queue&gt;_error</c>
/// with the reason in its MT-Fault-* headers. The endpoint's retry ignores that exception (PostgreSQL refusing the
/// data does not change by waiting); any other exception faults the whole batch and is retried as before.
/// </remarks>
internal static class BatchAcceptor
{
    /// <param name="gate">Holds the batch while PostgreSQL is away (the messages go back to the queue unfaulted if
    /// the endpoint is stopped meanwhile).</param>
    public static async Task AcceptAsync<T>(ConsumeContext<Batch<T>> context, AcceptService accept, DatabaseGate gate, TimeProvider time,
        Func<T, DateTimeOffset, Operation> map, string consumerType)
        where T : class
    {
        var started = Stopwatch.GetTimestamp();
        var refused = new List<(ConsumeContext<T> Message, string Reason)>();
        await gate.RunAsync($"A batch of {typeof(T).Name}", async ct =>
        {
            // Mapped again on every try: the accept fills in state, leases and rejection copies.
            refused.Clear();
            var now = time.GetUtcNow();
            var ops = new List<Operation>(context.Message.Length);
            var owners = new Dictionary<Operation, ConsumeContext<T>>(context.Message.Length, ReferenceEqualityComparer.Instance);
            foreach (var m in context.Message)
            {
                Operation op;
                try
                {
                    op = map(m.Message, now);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    refused.Add((m, StorageText.Clean($"the message could not be mapped: {e.Message}", 500)));
                    continue;
                }

                op.TraceParent = Telemetry.RequestTrace.Of(m);
                ops.Add(op);
                owners[op] = m;
            }

            var result = await accept.AcceptAsync(ops, ct);
            refused.AddRange(result.Unrecordable.Select(u => (owners[u.Operation], u.Reason)));
        }, context.CancellationToken);
        if (refused.Count == 0)
        {
            return;
        }

        var faulted = refused.Select(r => r.Message).ToHashSet(ReferenceEqualityComparer.Instance);
        var elapsed = Stopwatch.GetElapsedTime(started);
        foreach (var m in context.Message)
        {
            if (!faulted.Contains(m))
            {
                await m.NotifyConsumed(m, elapsed, consumerType);
            }
        }

        throw new UnrecordableRequestException(refused.Count == 1
            ? $"Request {RequestIdOf(refused[0].Message)} could not be recorded: PostgreSQL refused it ({refused[0].Reason}). The other {context.Message.Length - 1} message(s) of its batch were accepted."
            : $"{refused.Count} requests could not be recorded: {string.Join("; ", refused.Select(r => $"{RequestIdOf(r.Message)}: {r.Reason}"))}. The other {context.Message.Length - refused.Count} message(s) of their batch were accepted.");
    }

    private static string RequestIdOf<T>(ConsumeContext<T> message)
        where T : class
        => message.Message switch
        {
            Contracts.RefundRequested r => r.RequestId.ToString(),
            Contracts.CancelRequested c => c.RequestId.ToString(),
            _ => message.MessageId?.ToString() ?? "?",
        };
}

/// <summary>
/// Faults the messages of a batch that PostgreSQL refused to record even alone (their batch-mates were accepted).
/// Not retried: the endpoint's retry policy ignores it, so the message goes to the error queue at once.
/// </summary>
public sealed class UnrecordableRequestException : Exception
{
    public UnrecordableRequestException()
    {
    }

    public UnrecordableRequestException(string message)
        : base(message)
    {
    }

    public UnrecordableRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
