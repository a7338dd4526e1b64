using MassTransit;

namespace RefundWorker.Availability;

/// <summary>
/// Stops and starts one receive endpoint for the <see cref="GatedReceiveEndpoints"/>, and remembers a stop that did
/// not run to completion. MassTransit keeps an endpoint "started" until a stop completes: after a stop cut short
/// (its consumers still held messages when the safety timeout fired), every Start throws "already started" while the
/// endpoint's channel keeps its prefetched messages unacknowledged, so those requests wait for the process to die.
/// Such a stop is finished before the next start, and a start that fails is treated the same way.
/// </summary>
internal sealed class EndpointSwitch(IReceiveEndpoint endpoint, string name, TimeSpan stopTimeout, ILogger logger)
{
    public IReceiveEndpoint Endpoint { get; } = endpoint;

    public string Name { get; } = name;

    /// <summary>A stop was begun and did not complete: the endpoint may still hold messages.</summary>
    public bool StopUnfinished { get; private set; }

    /// <summary>Stops the endpoint; false when the stop did not complete within <c>stopTimeout</c>.</summary>
    public async Task<bool> StopAsync(string reason)
    {
        logger.LogWarning("Stopping receive endpoint {Queue}: {Reason}", Name, reason);
        // MassTransit cancels the consumers still holding messages after its ConsumerStopTimeout; this token only keeps
        // a stop that hangs (on a dead broker, or a consumer ignoring cancellation) from blocking the gate's loop.
        using var safety = new CancellationTokenSource(stopTimeout);
        try
        {
            await Endpoint.Stop(safety.Token);
            StopUnfinished = false;
            return true;
        }
        catch (Exception e)
        {
            StopUnfinished = true;
            logger.LogWarning(e, "Stopping receive endpoint {Queue} did not complete; it is finished before the next start", Name);
            return false;
        }
    }

    /// <summary>Starts the endpoint (finishing an unfinished stop first); false when it could not be started.</summary>
    public async Task<bool> StartAsync(CancellationToken stoppingToken)
    {
        if (StopUnfinished && !await StopAsync("finishing a stop that was cut short, before starting it again"))
        {
            return false;
        }

        try
        {
            // Ready is reported back through the endpoint observer.
            Endpoint.Start(stoppingToken);
            logger.LogInformation("Started receive endpoint {Queue} again", Name);
            return true;
        }
        catch (Exception e)
        {
            // "Already started" means an earlier stop left the endpoint half stopped: stop it fully before trying again.
            StopUnfinished = true;
            logger.LogError(e, "Starting receive endpoint {Queue} failed; trying again", Name);
            return false;
        }
    }
}
