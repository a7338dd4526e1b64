using Npgsql;
using RefundWorker.Telemetry;

namespace RefundWorker.Inbound.Tests;

/// <summary>What ties the inbound project to the host without the host's assembly being scanned.</summary>
public sealed class InboundWiringTests
{
    [Fact]
    public void Should_count_inbound_answers_on_the_meter_the_host_exports()
        => Assert.Equal(WorkerTelemetry.MeterName, InboundTelemetry.Meter.Name);

    [Fact]
    public async Task Should_not_fail_fixture_cleanup_on_a_transient_PostgreSQL_error_and_still_fail_on_anything_else()
    {
        await FixtureCleanup.RunAsync("a database", () => throw new PostgresException("too many clients", "FATAL", "FATAL", "53300"));
        await FixtureCleanup.RunAsync("a database", () => throw new NpgsqlException("connection refused", new System.Net.Sockets.SocketException(111)));

        await Assert.ThrowsAsync<PostgresException>(() => FixtureCleanup.RunAsync("a database", () => throw new PostgresException("syntax", "ERROR", "ERROR", "42601")));
        await Assert.ThrowsAsync<InvalidOperationException>(() => FixtureCleanup.RunAsync("a database", () => throw new InvalidOperationException("bug")));
    }
}
