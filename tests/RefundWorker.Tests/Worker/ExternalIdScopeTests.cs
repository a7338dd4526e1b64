using RefundWorker.Contracts;
using RefundWorker.Operations;
using RefundWorker.Options;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// Worker:ExternalIdScope across a Jakarta midnight: under Day (the default, what SNAP enforces) a request's
/// ExternalId may be used again the next Jakarta day but not twice on one day; under Forever it stays taken. The
/// worker and the sandbox run on a shifted wall clock; their timers run in real time.
/// </summary>
[Collection(ExternalIdScopeCollection.Name)]
public sealed class ExternalIdScopeTests(ExternalIdScopeFixture fx)
{
    private static readonly TimeSpan Ten = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Should_accept_an_external_id_again_on_the_next_Jakarta_day_and_reject_its_second_use_that_day_when_the_scope_is_Day()
    {
        var worker = await fx.StartShiftedWorkerAsync();
        try
        {
            var midnight = ExternalIdScopeFixture.NextJakartaMidnight();
            var externalId = Requests.ExternalId();

            fx.Clock.SetNow(midnight - Ten);
            var a = NewRefund(externalId);
            await fx.PublishAsync(a);
            await fx.Outcomes.WaitForAsync<RefundSucceeded>(a.RequestId);

            fx.Clock.SetNow(midnight + Ten);
            var b = NewRefund(externalId);
            await fx.PublishAsync(b);
            var bOutcome = (await fx.Outcomes.WaitForAsync(b.RequestId, WorkerFixture.OutcomeTimeout))[0].Message;

            Assert.False(bOutcome is RefundRejected, $"B was rejected: {string.Join("; ", (bOutcome as RefundRejected)?.Errors.Select(e => e.Message) ?? [])}");
            Assert.NotEqual("Rejected", await StateOfAsync(b.RequestId));
            // The provider's day turned too, so the id is fresh there as well: the refund is made.
            Assert.IsType<RefundSucceeded>(bOutcome);
            Assert.Equal(DateOnly.FromDateTime(midnight.DateTime).AddDays(-1), await ExternalIdDateOfAsync(a.RequestId));
            Assert.Equal(DateOnly.FromDateTime(midnight.DateTime), await ExternalIdDateOfAsync(b.RequestId));
            // The trail holds the id once per operation, each row completed by its outcome commit (the row appended
            // before the call and the answer met on operation + X-EXTERNAL-ID).
            Assert.Equal(["Success", "Success"], await TrailOfAsync(externalId));

            var c = NewRefund(externalId);
            await fx.PublishAsync(c);
            var rejected = await fx.Outcomes.WaitForAsync<RefundRejected>(c.RequestId);

            var error = Assert.Single(rejected.Errors);
            Assert.Equal("externalId", error.Field);
            Assert.Contains(b.PartnerRefundNo, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await ExternalIdScopeFixture.StopShiftedWorkerAsync(worker);
        }
    }

    [Fact]
    public async Task Should_reject_an_external_id_used_the_day_before_when_the_scope_is_Forever()
    {
        var worker = await fx.StartShiftedWorkerAsync(new Dictionary<string, string?> { ["Worker:ExternalIdScope"] = "Forever" });
        try
        {
            var midnight = ExternalIdScopeFixture.NextJakartaMidnight();
            var externalId = Requests.ExternalId();

            fx.Clock.SetNow(midnight - Ten);
            var a = NewRefund(externalId);
            await fx.PublishAsync(a);
            await fx.Outcomes.WaitForAsync<RefundSucceeded>(a.RequestId);

            fx.Clock.SetNow(midnight + Ten);
            var b = NewRefund(externalId, out var bOriginal);
            await fx.PublishAsync(b);
            var rejected = await fx.Outcomes.WaitForAsync<RefundRejected>(b.RequestId);

            var error = Assert.Single(rejected.Errors);
            Assert.Equal("externalId", error.Field);
            Assert.Contains(a.PartnerRefundNo, error.Message, StringComparison.Ordinal);
            Assert.Empty(fx.ShiftedSandbox.Ledger.Find("nicepay", bOriginal.OriginalReferenceNo)!.Refunds);
        }
        finally
        {
            await ExternalIdScopeFixture.StopShiftedWorkerAsync(worker);
        }
    }

    [Theory]
    [InlineData("2026-03-09T16:59:59Z")]
    [InlineData("2026-03-09T17:00:00Z")]
    [InlineData("2026-12-31T16:59:59.999999Z")]
    [InlineData("2026-12-31T17:00:00Z")]
    public async Task Should_take_the_same_Jakarta_date_in_PostgreSQL_as_in_the_worker_when_the_instant_is_around_midnight(string instant)
    {
        var at = DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture);

        var inSql = await fx.Database.ScalarAsync<DateOnly>($"SELECT {ExternalIdDay.Sql("$1::timestamptz")}", at);

        Assert.Equal(ExternalIdDay.Of(at), inSql);
    }

    [Fact]
    public async Task Should_make_a_concurrent_accept_of_the_same_external_id_on_another_day_wait_and_skip_it_when_the_scope_is_Forever()
    {
        // Two accepts of one ExternalId on two days are not in one unique index entry: under Forever the advisory
        // lock taken before the insert makes the second wait for the first and then see its row.
        var externalId = Requests.ExternalId();
        var now = DateTimeOffset.UtcNow;
        var first = OperationFactory.FromMessage(NewRefund(externalId), now);
        var second = OperationFactory.FromMessage(NewRefund(externalId), now.AddDays(1));
        Assert.NotEqual(first.ExternalIdDate, second.ExternalIdDate);

        var store = new OperationStore(fx.Database.DataSource);
        await using var accept1 = await store.BeginAcceptAsync(CancellationToken.None);
        await accept1.LockExternalIdsAsync([first], CancellationToken.None);
        Assert.Contains(first.Id, await accept1.InsertOperationsAsync([first], TimeSpan.FromMinutes(1), ExternalIdScope.Forever, CancellationToken.None));

        var secondAccept = Task.Run(async () =>
        {
            await using var accept2 = await store.BeginAcceptAsync(CancellationToken.None);
            await accept2.LockExternalIdsAsync([second], CancellationToken.None);
            var inserted = await accept2.InsertOperationsAsync([second], TimeSpan.FromMinutes(1), ExternalIdScope.Forever, CancellationToken.None);
            await accept2.CommitAsync(CancellationToken.None);
            return inserted;
        });
        await Task.Delay(1000);
        Assert.False(secondAccept.IsCompleted, "the second accept did not wait for the first");

        await accept1.CommitAsync(CancellationToken.None);
        var insertedSecond = await secondAccept.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Empty(insertedSecond);
    }

    private RefundRequested NewRefund(string externalId) => NewRefund(externalId, out _);

    private RefundRequested NewRefund(string externalId, out RefundWorker.Sandbox.LedgerEntry original)
    {
        original = fx.ShiftedSandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        return Requests.NicepayRefund(original) with { ExternalId = externalId };
    }

    private Task<string> StateOfAsync(Guid requestId)
        => fx.Database.ScalarAsync<string>("SELECT state FROM operations WHERE request_id = $1", requestId);

    private async Task<List<string>> TrailOfAsync(string externalId)
    {
        var classifications = new List<string>();
        await using var cmd = fx.Database.DataSource.CreateCommand(
            "SELECT a.classification FROM attempts a WHERE a.provider = 'nicepay' AND a.external_id = $1 ORDER BY a.requested_at");
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = externalId });
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            classifications.Add(r.GetString(0));
        }

        return classifications;
    }

    private Task<DateOnly> ExternalIdDateOfAsync(Guid requestId)
        => fx.Database.ScalarAsync<DateOnly>("SELECT external_id_date FROM operations WHERE request_id = $1", requestId);
}
