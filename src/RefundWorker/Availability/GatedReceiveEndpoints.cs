using MassTransit;
using Microsoft.Extensions.Options;
using RefundWorker.Operations;
using RefundWorker.Options;

namespace RefundWorker.Availability;

/// <summary>
/// Stops the MassTransit receive endpoints that need PostgreSQL (the inbound payment-code queues; the refund and
/// cancel queues pause themselves, see <see cref="Consumers.RequestQueueConsumer{T}"/>) while the
/// <see cref="DatabaseGate"/> is closed and starts them when it opens. An
/// endpoint joins by calling <see cref="Attach"/> from its consumer definition; MassTransit then reports it here when
/// it is ready. Stops and starts run one at a time on this service's loop, never on the probe loop, so a stop that
/// waits for held messages does not delay noticing that PostgreSQL is back.
/// </summary>
public sealed class GatedReceiveEndpoints(
    DatabaseGate gate, IHostApplicationLifetime lifetime, IOptions<DatabaseGateOptions> options, ILogger<GatedReceiveEndpoints> logger)
    : BackgroundService, IReceiveEndpointObserver
{
    private sealed class Entry(EndpointSwitch endpoint)
    {
        public EndpointSwitch Endpoint { get; } = endpoint;

        public string Name => Endpoint.Name;

        /// <summary>Consuming (MassTransit reported it ready) and not stopped by us since.</summary>
        public bool Running { get; set; }

        /// <summary>Stopped by the gate: started again when it opens.</summary>
        public bool Paused { get; set; }
    }

    private readonly Lock _lock = new();
    private readonly Dictionary<Uri, Entry> _endpoints = [];
    private readonly WakeSignal _wake = new();

    /// <summary>Puts the endpoint under the gate (call from a consumer definition's ConfigureConsumer).</summary>
    public void Attach(IReceiveEndpointConfigurator endpoint) => endpoint.ConnectReceiveEndpointObserver(this);

    /// <summary>Queue names the gate has stopped, for readiness.</summary>
    public IReadOnlyList<string> Paused
    {
        get
        {
            lock (_lock)
            {
                return [.. _endpoints.Values.Where(e => e.Paused).Select(e => e.Name).Order(StringComparer.Ordinal)];
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        gate.StateChanged += Wake;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _wake.WaitAsync(stoppingToken);
                // Once the host stops, the bus stops every endpoint itself; starting one now would race it.
                if (lifetime.ApplicationStopping.IsCancellationRequested)
                {
                    return;
                }

                await ReconcileAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            gate.StateChanged -= Wake;
        }
    }

    private async Task ReconcileAsync(CancellationToken stoppingToken)
    {
        List<Entry> entries;
        lock (_lock)
        {
            entries = [.. _endpoints.Values];
        }

        foreach (var entry in entries)
        {
            var status = gate.Status;
            if (lifetime.ApplicationStopping.IsCancellationRequested)
            {
                return;
            }

            bool stop, start;
            lock (_lock)
            {
                stop = status.State == GateState.Closed && entry.Running;
                start = status.State == GateState.Open && entry.Paused;
                if (stop)
                {
                    entry.Running = false;
                    entry.Paused = true;
                }
                else if (start)
                {
                    entry.Paused = false;
                }
            }

            if (stop)
            {
                await entry.Endpoint.StopAsync(status.Description);
            }
            else if (start && !await entry.Endpoint.StartAsync(stoppingToken))
            {
                lock (_lock)
                {
                    entry.Paused = true;
                }

                _ = RetryLaterAsync(stoppingToken);
            }
        }
    }

    private async Task RetryLaterAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(options.Value.ProbeInterval, stoppingToken);
            Wake();
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Wake() => _wake.Set();

    Task IReceiveEndpointObserver.Ready(ReceiveEndpointReady ready)
    {
        if (!ready.IsStarted)
        {
            return Task.CompletedTask;
        }

        lock (_lock)
        {
            if (!_endpoints.TryGetValue(ready.InputAddress, out var entry))
            {
                entry = new Entry(new EndpointSwitch(ready.ReceiveEndpoint, ready.InputAddress.AbsolutePath.Split('/').Last(), options.Value.StopGracePeriod + TimeSpan.FromSeconds(30), logger));
                _endpoints[ready.InputAddress] = entry;
            }

            entry.Running = true;
            entry.Paused = false;
        }

        // An endpoint that became ready while the gate is closed (a pod started before the migration) is stopped.
        if (gate.Status.State == GateState.Closed)
        {
            Wake();
        }

        return Task.CompletedTask;
    }

    Task IReceiveEndpointObserver.Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    Task IReceiveEndpointObserver.Completed(ReceiveEndpointCompleted completed)
    {
        lock (_lock)
        {
            if (_endpoints.TryGetValue(completed.InputAddress, out var entry))
            {
                entry.Running = false;
            }
        }

        return Task.CompletedTask;
    }

    Task IReceiveEndpointObserver.Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
