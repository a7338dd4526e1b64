using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RefundWorker.Contracts;
using RefundWorker.Persistence;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Containers;

/// <summary>
/// The container path end to end: PostgreSQL and RabbitMQ started by Testcontainers, the real migrations, one refund
/// through the in-process worker to the in-process sandbox, and its outcome on the bus.
/// </summary>
[Collection(ContainerPathCollection.Name)]
public sealed class ContainerPathTests(ContainerPathFixture fx)
{
    [ContainerPathFact]
    public async Task Should_run_on_fresh_containers_not_on_the_shared_servers()
    {
        var postgres = new NpgsqlConnectionStringBuilder(fx.Containers.PostgresAdmin);
        Assert.NotEqual(5432, postgres.Port);
        Assert.NotEqual(5672, fx.Containers.RabbitMq.Port);
        Assert.NotEqual(15672, fx.Containers.RabbitMqManagement.Port);

        // A server that came up after the fixture began is the container's, not one that was already running.
        var postgresStarted = await fx.Database.ScalarAsync<DateTime>("SELECT pg_postmaster_start_time()");
        Assert.True(new DateTimeOffset(postgresStarted) >= fx.StartedAt.AddSeconds(-5), $"PostgreSQL started at {postgresStarted:O}, before the fixture ({fx.StartedAt:O})");

        using var http = new HttpClient { BaseAddress = fx.Containers.RabbitMqManagement };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("refundworker:refundworker")));
        // A node's statistics (uptime among them) appear in the management API only after its first stats emission,
        // a few seconds after start: poll for them rather than read a node that has none yet.
        TimeSpan? uptime = null;
        for (var tries = 0; uptime is null && tries < 60; tries++)
        {
            using var nodes = JsonDocument.Parse(await http.GetStringAsync("api/nodes"));
            if (Assert.Single(nodes.RootElement.EnumerateArray()).TryGetProperty("uptime", out var value))
            {
                uptime = TimeSpan.FromMilliseconds(value.GetInt64());
            }
            else
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }

        Assert.NotNull(uptime);
        Assert.True(uptime.Value <= DateTimeOffset.UtcNow - fx.StartedAt + TimeSpan.FromSeconds(5), $"RabbitMQ has been up {uptime}, longer than the fixture");
    }

    [ContainerPathFact]
    public async Task Should_migrate_and_refund_through_the_worker_on_containers()
    {
        await using (var db = fx.Database.CreateContext())
        {
            var applied = await db.Database.GetAppliedMigrationsAsync();
            Assert.Equal(db.Database.GetMigrations(), applied);
            Assert.NotEmpty(applied);
        }

        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original, 12_500m);

        await fx.PublishAsync(request);
        var succeeded = await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);

        Assert.Equal(request.PartnerRefundNo, succeeded.PartnerRefundNo);
        Assert.Equal(12_500m, succeeded.Amount);
        var booked = Assert.Single(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
        Assert.Equal(booked.ReferenceNo, succeeded.ReferenceNo);

        await using var context = fx.Database.CreateContext();
        var op = await context.Operations.SingleAsync(o => o.PartnerRefundNo == request.PartnerRefundNo);
        Assert.Equal(OperationState.Succeeded, op.State);
    }
}
