using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using RefundWorker.Operations;
using RefundWorker.Options;
using RefundWorker.Persistence;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// The lease fence on a real PostgreSQL: a call starts only under a lease that outlives it by PostgreSQL's clock,
/// a lease another holder took is never called on, and held leases are renewed while their work waits.
/// </summary>
public sealed class LeaseKeeperTests : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);

    private TestDatabase _db = null!;

    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync(await ServiceEndpointResolver.ResolveAsync());

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Should_never_let_a_call_start_when_another_holder_took_the_lease()
    {
        await using var keeper = await StartAsync(_db.DataSource);
        var op = await InsertLeasedAsync();
        keeper.Hold(op.Id, op.LeaseToken!.Value, TimeProvider.System.GetTimestamp(), Lease);

        // Another replica claims it after the lease ended: a new token.
        await ExecAsync("UPDATE operations SET lease_token = gen_random_uuid(), lease_until = clock_timestamp() + interval '1 minute' WHERE id = $1", op.Id);

        // A call longer than the local bound must be fenced in PostgreSQL, which says no.
        Assert.Equal(FenceResult.Lost, await keeper.FenceAsync(op.Id, op.LeaseToken!.Value, TimeSpan.FromSeconds(10), CancellationToken.None));
        // And from then on even a short call is refused without asking again.
        Assert.Equal(FenceResult.Lost, await keeper.FenceAsync(op.Id, op.LeaseToken!.Value, TimeSpan.Zero, CancellationToken.None));
        Assert.False(keeper.Holds(op.Id, op.LeaseToken!.Value));
    }

    [Fact]
    public async Task Should_extend_the_lease_by_postgresql_clock_before_a_call_that_would_outlive_it()
    {
        await using var keeper = await StartAsync(_db.DataSource);
        var op = await InsertLeasedAsync();
        keeper.Hold(op.Id, op.LeaseToken!.Value, TimeProvider.System.GetTimestamp(), Lease);

        var result = await keeper.FenceAsync(op.Id, op.LeaseToken!.Value, TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.Equal(FenceResult.Held, result);
        // 30 s of call + 0.5 s margin from the moment of the fence, on the server's clock.
        var remaining = await _db.ScalarAsync<double>("SELECT extract(epoch FROM lease_until - clock_timestamp())::float8 FROM operations WHERE id = $1", op.Id);
        Assert.InRange(remaining, 29.5, 31);
    }

    [Fact]
    public async Task Should_keep_a_waiting_lease_alive_past_its_length_while_it_is_held()
    {
        await using var keeper = await StartAsync(_db.DataSource);
        var op = await InsertLeasedAsync();
        keeper.Hold(op.Id, op.LeaseToken!.Value, TimeProvider.System.GetTimestamp(), Lease);

        await Task.Delay(Lease * 2);

        var remaining = await _db.ScalarAsync<double>("SELECT extract(epoch FROM lease_until - clock_timestamp())::float8 FROM operations WHERE id = $1", op.Id);
        Assert.True(remaining > 0, $"the lease ended {-remaining:0.0} s ago although its work was still held");
        Assert.True(keeper.Holds(op.Id, op.LeaseToken!.Value));

        // Released: no longer renewed, so it ends and another replica may claim it.
        keeper.Release(op.Id, op.LeaseToken!.Value);
        await Task.Delay(Lease + TimeSpan.FromSeconds(1.5));
        remaining = await _db.ScalarAsync<double>("SELECT extract(epoch FROM lease_until - clock_timestamp())::float8 FROM operations WHERE id = $1", op.Id);
        Assert.True(remaining < 0, "a released lease was still renewed");
    }

    [Fact]
    public async Task Should_not_confirm_a_lease_when_postgresql_cannot_be_reached()
    {
        // A port nothing listens on: the fence cannot be asked, so nothing may be sent.
        await using var unreachable = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=x;Password=x;Database=x;Timeout=2");
        await using var keeper = await StartAsync(unreachable);
        var token = Guid.NewGuid();
        var id = Guid.NewGuid();
        keeper.Hold(id, token, TimeProvider.System.GetTimestamp(), Lease);

        Assert.Equal(FenceResult.Unconfirmed, await keeper.FenceAsync(id, token, TimeSpan.FromSeconds(10), CancellationToken.None));
        // Within the local bound no round trip is needed: the lease set by PostgreSQL certainly still runs.
        Assert.Equal(FenceResult.Held, await keeper.FenceAsync(id, token, TimeSpan.Zero, CancellationToken.None));
    }

    private static async Task<RunningKeeper> StartAsync(NpgsqlDataSource dataSource)
    {
        var options = Microsoft.Extensions.Options.Options.Create(new WorkerOptions { LeaseDuration = Lease, LeaseMargin = TimeSpan.FromMilliseconds(500) });
        var keeper = new LeaseKeeper(dataSource, options, TimeProvider.System, NullLogger<LeaseKeeper>.Instance);
        await keeper.StartAsync(CancellationToken.None);
        return new RunningKeeper(keeper);
    }

    private async Task<Operation> InsertLeasedAsync()
    {
        var request = new RefundWorker.Contracts.RefundRequested
        {
            RequestId = Guid.NewGuid(), Provider = "nicepay", PartnerRefundNo = Requests.Unique("RF"), ExternalId = Requests.ExternalId(),
            MerchantId = Requests.NicepayMerchant, OriginalReferenceNo = Requests.Unique("TX"), OriginalPartnerReferenceNo = Requests.Unique("ORD"),
            Amount = 1_000m, Reason = "lease test", AdditionalInfo = new Dictionary<string, string> { ["cancelType"] = "2" },
        };
        var op = OperationFactory.FromMessage(request, DateTimeOffset.UtcNow);
        op.State = OperationState.Sending;
        op.LeaseOwner = "test";
        op.LeaseToken = Guid.NewGuid();
        await using var accept = await new OperationStore(_db.DataSource).BeginAcceptAsync(CancellationToken.None);
        var inserted = await accept.InsertOperationsAsync([op], Lease, CancellationToken.None);
        await accept.CommitAsync(CancellationToken.None);
        Assert.Contains(op.Id, inserted);
        return op;
    }

    private async Task ExecAsync(string sql, Guid id)
    {
        await using var cmd = _db.DataSource.CreateCommand(sql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        await cmd.ExecuteNonQueryAsync();
    }

    private sealed class RunningKeeper(LeaseKeeper keeper) : IAsyncDisposable
    {
        public void Hold(Guid id, Guid token, long sentAt, TimeSpan length) => keeper.Hold(id, token, sentAt, length);

        public void Release(Guid id, Guid token) => keeper.Release(id, token);

        public bool Holds(Guid id, Guid token) => keeper.Holds(id, token);

        public ValueTask<FenceResult> FenceAsync(Guid id, Guid token, TimeSpan call, CancellationToken ct) => keeper.FenceAsync(id, token, call, ct);

        public async ValueTask DisposeAsync()
        {
            await keeper.StopAsync(CancellationToken.None);
            keeper.Dispose();
        }
    }
}
