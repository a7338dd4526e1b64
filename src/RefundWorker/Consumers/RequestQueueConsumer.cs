using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RefundWorker.Availability;
using RefundWorker.Extensions;
using RefundWorker.Operations;
using RefundWorker.Options;
using RefundWorker.Persistence;
using RefundWorker.Telemetry;

namespace RefundWorker.Consumers;

/// <summary>What every request queue consumer needs, in one registration.</summary>
public sealed record RequestQueueServices(
    IOptions<ConnectionStringsOptions> ConnectionStrings,
    IOptions<WorkerOptions> Worker,
    IOptions<RequestQueueOptions> Queues,
    IOptions<DatabaseGateOptions> GateOptions,
    AcceptService Accept,
    DatabaseGate Gate,
    RequestQueueStates States,
    TimeProvider Time,
    ILoggerFactory Loggers);

/// <summary>
/// Consumes one request queue (<c>refund-requested</c>, <c>cancel-requested</c>) with RabbitMQ.Client: deliveries
/// are gathered into batches of <c>Worker:AcceptBatchSize</c> or <c>Worker:AcceptBatchTimeLimit</c>, up to
/// <c>Worker:AcceptConcurrency</c> at a time, each accepted in one PostgreSQL transaction, and acknowledged with one
/// multiple-ack per run of settled deliveries (<see cref="DeliveryAcks"/>).
/// </summary>
/// <remarks>
/// <para>
/// Why not MassTransit's receive endpoint, as the rest of the bus uses: measured on a backlog, its per-message
/// pipeline and one <c>basic.ack</c> frame per message were a fifth of the worker's CPU per refund
/// (docs/request-consumer.md). Everything that endpoint did for these queues is done here, with the same names on the
/// wire: the topology and its arguments (<see cref="RequestQueueTopology"/>), the envelope and MassTransit's serializer
/// settings (<see cref="RequestEnvelope"/>), the error queue and its <c>MT-*</c> headers
/// (<see cref="ErrorQueueHeaders"/>), the retry schedule (<see cref="AcceptRetry"/>) and a consumer span per message.
/// </para>
/// <para>
/// A message that cannot be read, or that PostgreSQL refuses to record even alone, goes to <c>&lt;queue&gt;_error</c>
/// on its own: its batch-mates are accepted. Any other failure of the accept is retried with the whole batch
/// (<see cref="AcceptRetry"/>), then every message of it goes to the error queue with the reason. A message moves to
/// the error queue only once the broker confirmed the copy there; it is acknowledged after that.
/// </para>
/// <para>
/// PostgreSQL away: the batches in hand wait in <see cref="DatabaseGate.RunAsync"/>; the consumer is cancelled at the
/// broker at once, so nothing more is delivered; after <c>Worker:DatabaseGate:StopGracePeriod</c> the held batches are
/// given up and the channel closed, which returns them to the queue unfaulted (once per outage). Consuming starts
/// again when the gate opens. Stopping the host does the same with <c>Worker:ShutdownTimeout</c>. A lost connection
/// ends the channel: nothing read on it is acknowledged on the next one (delivery tags start again), and the
/// redelivered messages are found as duplicates by the accept.
/// </para>
/// </remarks>
public abstract class RequestQueueConsumer<T> : BackgroundService
    where T : class
{
    private readonly RequestQueueServices _s;
    private readonly string _messageType;
    private readonly string _contractExchange;
    private readonly ILogger _logger;

    protected RequestQueueConsumer(RequestQueueServices services, string queueName)
    {
        _s = services;
        Queue = queueName;
        _messageType = Contracts.Wire.MassTransitEnvelope.MessageTypeOf(typeof(T));
        _contractExchange = Contracts.Wire.MassTransitEnvelope.ExchangeOf(typeof(T));
        _logger = services.Loggers.CreateLogger(GetType());
    }

    /// <summary>The queue this consumer reads.</summary>
    public string Queue { get; }

    /// <summary>The name written into <c>MT-Fault-ConsumerType</c> (the consumer class, as MassTransit wrote it).</summary>
    private string ConsumerType => GetType().FullName!;

    /// <summary>The operation a message asks for (invalid fields make a Rejected operation, not an exception).</summary>
    protected abstract Operation Map(T message, DateTimeOffset now);

    /// <summary>The request id, for fault messages.</summary>
    protected abstract Guid RequestIdOf(T message);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        var declared = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            var end = SessionEnd.Lost;
            try
            {
                if (!declared)
                {
                    // Declared before waiting for PostgreSQL: the order system's requests must have a queue to wait
                    // in even while this worker does not consume (a pod started before the migration job).
                    await DeclareTopologyAsync(stoppingToken);
                    declared = true;
                }

                while (_s.Gate.Status is { State: not GateState.Open } gate)
                {
                    // Paused is what the gate did (readiness then names the queue and why); before its first probe
                    // this is still the start. Looked at again every half second, so readiness follows the gate.
                    _s.States.Set(Queue, gate.State == GateState.Closed ? RequestQueueState.Paused : RequestQueueState.Connecting,
                        gate.State == GateState.Closed ? gate.Description : "waiting for the first PostgreSQL probe");
                    await Task.WhenAny(_s.Gate.WaitUntilOpenAsync(stoppingToken), Task.Delay(TimeSpan.FromMilliseconds(500), stoppingToken));
                    stoppingToken.ThrowIfCancellationRequested();
                }
                _s.States.Set(Queue, RequestQueueState.Connecting, "connecting to RabbitMQ");
                var started = Stopwatch.GetTimestamp();
                end = await RunSessionAsync(stoppingToken);
                // A session that ran a while was a good one: the next reconnect starts quickly again. One that keeps
                // dying at once (a broker refusing the channel) backs off up to 10 s.
                if (end != SessionEnd.Lost || Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(30))
                {
                    delay = TimeSpan.FromSeconds(1);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                _s.States.Set(Queue, RequestQueueState.Disconnected, e.Message);
                _logger.LogWarning(e, "Consuming {Queue} failed; connecting again in {Delay}", Queue, delay);
            }

            if (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            if (end == SessionEnd.Lost)
            {
                try
                {
                    // A wall-clock pause between reconnects, not business time.
                    await Task.Delay(delay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }

        _s.States.Set(Queue, RequestQueueState.Stopped, "the worker is stopping");
    }

    private enum SessionEnd
    {
        Stopping,
        GateClosed,
        Lost,
    }

    private ConnectionFactory Factory() => new()
    {
        Uri = new Uri(_s.ConnectionStrings.Value.RabbitMq!),
        ClientProvidedName = $"RefundWorker {Queue}",
        // Recovery is this loop's: a recovered channel would renumber deliveries under batches still in hand.
        AutomaticRecoveryEnabled = false,
        TopologyRecoveryEnabled = false,
    };

    private async Task DeclareTopologyAsync(CancellationToken stoppingToken)
    {
        await using var connection = await Factory().CreateConnectionAsync(stoppingToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
        await RequestQueueTopology.DeclareAsync(channel, Queue, _contractExchange, _s.Queues.Value.DeliveryLimit, stoppingToken);
    }

    /// <summary>One connection and channel, from the first delivery to the channel's close.</summary>
    private async Task<SessionEnd> RunSessionAsync(CancellationToken stoppingToken)
    {
        var worker = _s.Worker.Value;
        await using var connection = await Factory().CreateConnectionAsync(stoppingToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
        await using var errors = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), stoppingToken);
        await RequestQueueTopology.DeclareAsync(channel, Queue, _contractExchange, _s.Queues.Value.DeliveryLimit, stoppingToken);
        // The whole prefetch window is batches being filled or accepted.
        await channel.BasicQosAsync(0, (ushort)Math.Min(ushort.MaxValue, worker.AcceptBatchSize * (worker.AcceptConcurrency + 1)), false, stoppingToken);

        using var session = new Session(channel, errors);
        channel.ChannelShutdownAsync += (_, e) =>
        {
            session.Lose(e.ReplyText);
            return Task.CompletedTask;
        };
        connection.ConnectionShutdownAsync += (_, e) =>
        {
            session.Lose(e.ReplyText);
            return Task.CompletedTask;
        };
        void OnGate()
        {
            if (_s.Gate.Status.State != GateState.Open)
            {
                session.GateClosed();
            }
        }

        _s.Gate.StateChanged += OnGate;
        try
        {
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, e) =>
            {
                // The body's memory belongs to the client until this returns.
                session.Deliveries.Writer.TryWrite(new Delivery(e.DeliveryTag, e.Body.ToArray(), e.BasicProperties));
                return Task.CompletedTask;
            };
            var consumerTag = await channel.BasicConsumeAsync(Queue, autoAck: false, consumer, stoppingToken);
            OnGate();
            _s.States.Set(Queue, RequestQueueState.Consuming, "consuming");
            _logger.LogInformation("Consuming {Queue} (prefetch {Prefetch})", Queue, worker.AcceptBatchSize * (worker.AcceptConcurrency + 1));

            var batches = CollectAsync(session);
            var stopping = Task.Delay(Timeout.Infinite, stoppingToken);
            await Task.WhenAny(stopping, session.Ended);
            var end = stoppingToken.IsCancellationRequested ? SessionEnd.Stopping : session.EndedByGate ? SessionEnd.GateClosed : SessionEnd.Lost;

            // Take nothing more; let the batches in hand finish for a while; then give the rest back with the channel.
            session.StopTaking();
            if (end != SessionEnd.Lost && channel.IsOpen)
            {
                try
                {
                    await channel.BasicCancelAsync(consumerTag, cancellationToken: CancellationToken.None);
                }
                catch (Exception e) when (RabbitMqLink.IsConnectionLost(e))
                {
                }
            }

            var grace = end switch
            {
                SessionEnd.Stopping => worker.ShutdownTimeout - TimeSpan.FromSeconds(Math.Min(2, worker.ShutdownTimeout.TotalSeconds / 4)),
                SessionEnd.GateClosed => _s.GateOptions.Value.StopGracePeriod,
                _ => TimeSpan.Zero,
            };
            if (end == SessionEnd.GateClosed)
            {
                _s.States.Set(Queue, RequestQueueState.Paused, _s.Gate.Status.Description);
                _logger.LogWarning("Stopped consuming {Queue}: {Reason}", Queue, _s.Gate.Status.Description);
            }
            else if (end == SessionEnd.Lost)
            {
                _s.States.Set(Queue, RequestQueueState.Disconnected, session.LostReason ?? "the channel closed");
                _logger.LogWarning("Lost the channel of {Queue} ({Reason}); connecting again", Queue, session.LostReason);
            }

            await session.DrainAsync(batches, grace);
            return end;
        }
        finally
        {
            _s.Gate.StateChanged -= OnGate;
        }
    }

    /// <summary>Forms batches from the deliveries while the session takes them, at most AcceptConcurrency in flight.</summary>
    private async Task CollectAsync(Session session)
    {
        var worker = _s.Worker.Value;
        using var slots = new SemaphoreSlim(worker.AcceptConcurrency);
        var reader = session.Deliveries.Reader;
        try
        {
            while (true)
            {
                await slots.WaitAsync(session.Taking);
                var batch = await NextBatchAsync(reader, worker.AcceptBatchSize, worker.AcceptBatchTimeLimit, session.Taking);
                session.Track(RunBatchAsync(batch, session, slots));
            }
        }
        catch (OperationCanceledException) when (session.Taking.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
        }

        await session.InFlightAsync();
    }

    private static async Task<List<Delivery>> NextBatchAsync(ChannelReader<Delivery> reader, int size, TimeSpan timeLimit, CancellationToken taking)
    {
        var batch = new List<Delivery>(size);
        Delivery? first;
        while (!reader.TryRead(out first))
        {
            if (!await reader.WaitToReadAsync(taking))
            {
                throw new ChannelClosedException();
            }
        }

        batch.Add(first);
        if (batch.Count >= size)
        {
            return batch;
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(taking);
        limit.CancelAfter(timeLimit);
        try
        {
            while (batch.Count < size)
            {
                if (reader.TryRead(out var next))
                {
                    batch.Add(next);
                }
                else if (!await reader.WaitToReadAsync(limit.Token))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!taking.IsCancellationRequested)
        {
            // The batch's time limit: go with what came.
        }

        return batch;
    }

    private async Task RunBatchAsync(List<Delivery> batch, Session session, SemaphoreSlim slots)
    {
        try
        {
            var faults = await AcceptBatchAsync(batch, session.Abort);
            await session.SettleAsync(batch, faults, Queue + "_error", session.Abort);
        }
        catch (OperationCanceledException) when (session.Abort.IsCancellationRequested)
        {
            // Given up (stop, outage, lost channel): the deliveries go back to the queue when the channel closes.
        }
        catch (Exception e)
        {
            // Not acknowledged and not faulted: the channel is closed so that the batch comes back, rather than left
            // unacknowledged on a channel that keeps consuming.
            _logger.LogError(e, "A batch of {Count} from {Queue} could not be settled; its deliveries return to the queue", batch.Count, Queue);
            session.Lose(e.Message);
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>
    /// Reads, maps and accepts a batch; returns the deliveries that go to the error queue, with their reason.
    /// Throws OperationCanceledException when <paramref name="abort"/> fires (the batch is then given back).
    /// </summary>
    private async Task<List<(Delivery Delivery, BasicProperties Properties)>> AcceptBatchAsync(List<Delivery> batch, CancellationToken abort)
    {
        var faults = new List<(Delivery, BasicProperties)>();
        var read = new List<(Delivery Delivery, T Message, string? TraceParent, Activity? Span)>(batch.Count);
        var previous = Activity.Current;
        foreach (var d in batch)
        {
            var r = RequestEnvelope.Read<T>(d.Body, d.Properties, _messageType);
            var parent = RequestTrace.OfHeaders(d.Properties.Headers) ?? r.TraceParent;
            var span = StartSpan(d, parent);
            Activity.Current = previous;
            if (r.Message is null)
            {
                var at = _s.Time.GetUtcNow();
                faults.Add((d, r.Fault is { } fault ? ErrorQueueHeaders.Fault(d.Properties, fault, null, 0, at) : ErrorQueueHeaders.DeadLetter(d.Properties, r.DeadLetter!, at)));
                WorkerTelemetry.RequestsFaulted.Add(1, new("queue", Queue), new("reason", r.Fault is null ? "dead-letter" : "unreadable"));
                span?.SetStatus(ActivityStatusCode.Error, r.Fault?.Message ?? r.DeadLetter);
                span?.Stop();
                continue;
            }

            read.Add((d, r.Message, parent ?? (span is null ? null : RequestTrace.Format(span.Context)), span));
        }

        try
        {
            if (read.Count > 0)
            {
                // The batch's refund.accept span is a child of its first message's consumer span.
                Activity.Current = read[0].Span ?? previous;
                faults.AddRange(await AcceptWithRetryAsync(read.Select(r => (r.Delivery, r.Message, r.TraceParent)).ToList(), abort));
            }
        }
        finally
        {
            Activity.Current = previous;
            foreach (var r in read)
            {
                r.Span?.Stop();
            }
        }

        return faults;
    }

    private Activity? StartSpan(Delivery d, string? parent)
    {
        if (!WorkerTelemetry.Source.HasListeners())
        {
            return null;
        }

        // Without a sender's context the span starts a trace of its own.
        var context = RequestTrace.TryParse(parent, out var sender) ? sender : default;
        var span = WorkerTelemetry.Source.StartActivity($"{Queue} process", ActivityKind.Consumer, context);
        if (span is not null)
        {
            span.SetTag("messaging.system", "rabbitmq");
            span.SetTag("messaging.operation.type", "process");
            span.SetTag("messaging.destination.name", Queue);
            span.SetTag("messaging.message.id", d.Properties.MessageId);
            span.SetTag("messaging.rabbitmq.delivery_tag", (long)d.Tag);
        }

        return span;
    }

    private async Task<List<(Delivery, BasicProperties)>> AcceptWithRetryAsync(List<(Delivery Delivery, T Message, string? TraceParent)> messages, CancellationToken abort)
    {
        for (var retry = 0; ; retry++)
        {
            var refused = new List<(Delivery Delivery, T Message, string Reason)>();
            try
            {
                // Mapped again on every try: the accept fills in state, leases and rejection copies.
                var now = _s.Time.GetUtcNow();
                var ops = new List<Operation>(messages.Count);
                var owners = new Dictionary<Operation, (Delivery Delivery, T Message)>(messages.Count, ReferenceEqualityComparer.Instance);
                foreach (var (delivery, message, traceParent) in messages)
                {
                    Operation op;
                    try
                    {
                        op = Map(message, now);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        refused.Add((delivery, message, StorageText.Clean($"the message could not be mapped: {e.Message}", 500)));
                        continue;
                    }

                    op.TraceParent = traceParent;
                    ops.Add(op);
                    owners[op] = (delivery, message);
                }

                AcceptResult? result = null;
                await _s.Gate.RunAsync($"A batch of {typeof(T).Name}", async ct => result = await _s.Accept.AcceptAsync(ops, ct), abort);
                refused.AddRange(result!.Unrecordable.Select(u => (owners[u.Operation].Delivery, owners[u.Operation].Message, u.Reason)));
                var at = _s.Time.GetUtcNow();
                var others = messages.Count - refused.Count;
                foreach (var r in refused)
                {
                    WorkerTelemetry.RequestsFaulted.Add(1, new("queue", Queue), new("reason", "unrecordable"));
                }

                return [.. refused.Select(r => (r.Delivery, ErrorQueueHeaders.Fault(r.Delivery.Properties,
                    new UnrecordableRequestException($"Request {RequestIdOf(r.Message)} could not be recorded: PostgreSQL refused it ({r.Reason}). The other {others} message(s) of its batch were accepted."),
                    ConsumerType, 0, at)))];
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (retry < AcceptRetry.Intervals.Length)
            {
                _logger.LogWarning(e, "Accepting a batch of {Count} from {Queue} failed; retry {Retry} of {Retries} in {Delay}",
                    messages.Count, Queue, retry + 1, AcceptRetry.Intervals.Length, AcceptRetry.Intervals[retry]);
                // A wall-clock pause, not business time: tests that hold the TimeProvider still must not hang here.
                await Task.Delay(AcceptRetry.Intervals[retry], abort);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Accepting a batch of {Count} from {Queue} failed {Retries} retries; its messages go to {Queue}_error",
                    messages.Count, Queue, AcceptRetry.Intervals.Length, Queue);
                var at = _s.Time.GetUtcNow();
                WorkerTelemetry.RequestsFaulted.Add(messages.Count, new("queue", Queue), new("reason", "retries-exhausted"));
                return [.. messages.Select(m => (m.Delivery, ErrorQueueHeaders.Fault(m.Delivery.Properties, e, ConsumerType, retry, at)))];
            }
        }
    }

    /// <summary>One message as delivered: its tag on the channel, a copy of its body, its properties.</summary>
    private sealed record Delivery(ulong Tag, byte[] Body, IReadOnlyBasicProperties Properties);

    /// <summary>The state of one channel: its deliveries, what is in flight, how it ends.</summary>
    private sealed class Session(IChannel channel, IChannel errors) : IDisposable
    {
        private readonly CancellationTokenSource _taking = new();
        private readonly CancellationTokenSource _abort = new();
        private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly DeliveryAcks _acks = new();
        private readonly SemaphoreSlim _ackLock = new(1, 1);
        private readonly Lock _lock = new();
        private readonly HashSet<Task> _inFlight = [];

        public Channel<Delivery> Deliveries { get; } = Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

        /// <summary>Cancelled when no new batch may start.</summary>
        public CancellationToken Taking => _taking.Token;

        /// <summary>Cancelled when the batches in hand are given up.</summary>
        public CancellationToken Abort => _abort.Token;

        public Task Ended => _ended.Task;

        public bool EndedByGate { get; private set; }

        public string? LostReason { get; private set; }

        public void Lose(string reason)
        {
            lock (_lock)
            {
                LostReason ??= reason;
                _ended.TrySetResult();
            }

            // Nothing read on this channel can be acknowledged any more.
            _abort.Cancel();
        }

        public void GateClosed()
        {
            lock (_lock)
            {
                if (!_ended.Task.IsCompleted)
                {
                    EndedByGate = true;
                    _ended.TrySetResult();
                }
            }
        }

        public void StopTaking()
        {
            _taking.Cancel();
            Deliveries.Writer.TryComplete();
        }

        public void Track(Task batch)
        {
            lock (_lock)
            {
                if (!batch.IsCompleted)
                {
                    _inFlight.Add(batch);
                    _ = batch.ContinueWith(t =>
                    {
                        lock (_lock)
                        {
                            _inFlight.Remove(t);
                        }
                    }, TaskScheduler.Default);
                }
            }
        }

        public Task InFlightAsync()
        {
            lock (_lock)
            {
                return Task.WhenAll(_inFlight);
            }
        }

        /// <summary>Waits up to <paramref name="grace"/> for the collector and its batches, then gives the rest up.</summary>
        public async Task DrainAsync(Task collector, TimeSpan grace)
        {
            if (grace > TimeSpan.Zero)
            {
                await Task.WhenAny(collector, Task.Delay(grace));
            }

            _abort.Cancel();
            await collector;
        }

        /// <summary>Forwards the faulted deliveries (each confirmed by the broker), then acknowledges the batch.</summary>
        public async Task SettleAsync(List<Delivery> batch, List<(Delivery Delivery, BasicProperties Properties)> faults, string errorExchange, CancellationToken ct)
        {
            foreach (var (delivery, properties) in faults)
            {
                await errors.BasicPublishAsync(errorExchange, string.Empty, mandatory: false, properties, delivery.Body, ct);
            }

            await _ackLock.WaitAsync(ct);
            try
            {
                var upTo = _acks.Settle(batch.Select(d => d.Tag));
                if (upTo > 0)
                {
                    await channel.BasicAckAsync(upTo, multiple: true, ct);
                }
            }
            finally
            {
                _ackLock.Release();
            }
        }

        public void Dispose()
        {
            _taking.Dispose();
            _abort.Dispose();
            _ackLock.Dispose();
        }
    }
}

/// <summary>
/// The retry of a batch whose accept failed for a reason other than its data (MassTransit's former
/// <c>UseMessageRetry</c> on these queues: exponential, 8 retries from 200 ms up to 30 s, 500 ms steps, about 93 s in
/// all). PostgreSQL being away is not retried here: the <see cref="DatabaseGate"/> holds the batch instead.
/// </summary>
public static class AcceptRetry
{
    /// <summary>The pause before each retry: min(200 ms + 2^i × 500 ms, 30 s).</summary>
    public static readonly TimeSpan[] Intervals =
        [.. Enumerable.Range(0, 8).Select(i => TimeSpan.FromMilliseconds(Math.Min(200 + (Math.Pow(2, i) * 500), 30_000)))];
}

/// <summary>
/// Faults the messages of a batch that PostgreSQL refused to record even alone (their batch-mates were accepted).
/// Not retried: waiting does not change that. Its name is what <c>MT-Fault-ExceptionType</c> says for such a letter.
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
