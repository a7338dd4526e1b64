using System.Reflection;
using MassTransit;
using Microsoft.Extensions.Logging.Abstractions;
using RefundWorker.Availability;

namespace RefundWorker.Tests.Availability;

/// <summary>
/// A stop cut short must not leave a request endpoint half stopped for good. Found by the chaos run: during a
/// PostgreSQL restart the gate's stop of refund-requested timed out, and from then on every start failed with "The
/// receive endpoint was already started" (once a second, for minutes) while the replica's channel kept its prefetched
/// requests unacknowledged; one request had no outcome when the run's settle time ended.
/// </summary>
public sealed class EndpointSwitchTests
{
    [Fact]
    public async Task Should_finish_a_stop_that_timed_out_before_starting_the_endpoint_again()
    {
        var endpoint = MassTransitLikeEndpoint.Create();
        var state = (MassTransitLikeEndpoint)(object)endpoint;
        var gate = new EndpointSwitch(endpoint, "refund-requested", TimeSpan.FromMilliseconds(200), NullLogger.Instance);
        endpoint.Start(CancellationToken.None);

        state.StopsHang = true;
        var stopped = await gate.StopAsync("PostgreSQL is unreachable");
        state.StopsHang = false;
        var started = await gate.StartAsync(CancellationToken.None);

        Assert.False(stopped);
        Assert.True(started);
        Assert.False(gate.StopUnfinished);
        Assert.Equal(2, state.Starts);
        Assert.Equal(1, state.CompletedStops);
    }

    [Fact]
    public async Task Should_stop_an_endpoint_that_refuses_to_start_as_already_started_and_start_it_on_the_next_try()
    {
        var endpoint = MassTransitLikeEndpoint.Create();
        var state = (MassTransitLikeEndpoint)(object)endpoint;
        var gate = new EndpointSwitch(endpoint, "refund-requested", TimeSpan.FromSeconds(5), NullLogger.Instance);
        endpoint.Start(CancellationToken.None);

        var first = await gate.StartAsync(CancellationToken.None);
        var second = await gate.StartAsync(CancellationToken.None);

        Assert.False(first);
        Assert.True(second);
        Assert.Equal(2, state.Starts);
    }

    [Fact]
    public async Task Should_keep_the_endpoint_stopped_while_the_unfinished_stop_still_hangs()
    {
        var endpoint = MassTransitLikeEndpoint.Create();
        var state = (MassTransitLikeEndpoint)(object)endpoint;
        var gate = new EndpointSwitch(endpoint, "refund-requested", TimeSpan.FromMilliseconds(100), NullLogger.Instance);
        endpoint.Start(CancellationToken.None);
        state.StopsHang = true;

        await gate.StopAsync("PostgreSQL is unreachable");
        var started = await gate.StartAsync(CancellationToken.None);

        Assert.False(started);
        Assert.True(gate.StopUnfinished);
        Assert.Equal(1, state.Starts);
    }

    /// <summary>
    /// An <see cref="IReceiveEndpoint"/> with MassTransit's start/stop rule: Start throws while a handle is held, and
    /// only a stop that runs to completion releases the handle (a cancelled stop keeps it).
    /// </summary>
    public class MassTransitLikeEndpoint : DispatchProxy
    {
        private bool _started;

        public bool StopsHang { get; set; }

        public int Starts { get; private set; }

        public int CompletedStops { get; private set; }

        public static IReceiveEndpoint Create() => Create<IReceiveEndpoint, MassTransitLikeEndpoint>();

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            switch (targetMethod?.Name)
            {
                case nameof(IReceiveEndpoint.Start):
                    if (_started)
                    {
                        throw new InvalidOperationException("The receive endpoint was already started: rabbitmq://localhost/refund-requested");
                    }

                    _started = true;
                    Starts++;
                    return null;
                case nameof(IReceiveEndpoint.Stop):
                    return StopAsync((CancellationToken)args![0]!);
                default:
                    throw new NotSupportedException(targetMethod?.Name);
            }
        }

        private async Task StopAsync(CancellationToken ct)
        {
            if (StopsHang)
            {
                await Task.Delay(Timeout.Infinite, ct);
            }

            _started = false;
            CompletedStops++;
        }
    }
}
