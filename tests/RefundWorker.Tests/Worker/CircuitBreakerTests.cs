using Microsoft.EntityFrameworkCore;
using RefundWorker.Contracts;
using RefundWorker.Persistence;
using RefundWorker.Sandbox;
using RefundWorker.Telemetry;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>Circuit breaker: while a provider's breaker is open, due operations wait and no attempt is spent.</summary>
[Collection(WorkerCollection.Name)]
public sealed class CircuitBreakerTests(WorkerFixture fx)
{
    private const string Provider = WorkerFixture.BreakerProvider;

    [Fact]
    public async Task Should_hold_operations_without_spending_attempts_while_the_breaker_is_open_then_refund_each_once()
    {
        fx.Sandbox.Faults.Set(Provider, new FaultSettings { Error500Rate = 1 });
        try
        {
            var original = fx.Sandbox.Original(Provider, merchantId: Requests.NicepayMerchant);
            var failing = new[] { Request(original), Request(original) };
            foreach (var r in failing)
            {
                await fx.PublishAsync(r);
                await WaitAsync(r.RequestId, op => op.Attempts == 1);
            }

            // Two unknown outcomes out of two: the breaker is open now.
            var held = Request(original);
            await fx.PublishAsync(held);
            var heldOp = await WaitAsync(held.RequestId, op => op.State == OperationState.Pending && op.NextAttemptAt is not null);
            Assert.Equal(0, heldOp.Attempts);
            Assert.Equal(0, await AttemptCountAsync(held.RequestId));
            // The gauge refundworker.provider.circuit.state says so (open, or half-open once the break has passed).
            Assert.Contains(CircuitStates.Get(Provider), new int?[] { CircuitStates.Open, CircuitStates.HalfOpen });

            fx.Sandbox.Faults.Set(Provider, new FaultSettings());
            foreach (var r in failing.Append(held))
            {
                await fx.Outcomes.WaitForAsync<RefundSucceeded>(r.RequestId, TimeSpan.FromSeconds(30));
            }

            var heldSucceeded = Assert.IsType<RefundSucceeded>(fx.Outcomes.For(held.RequestId)[0].Message);
            Assert.Equal(1, heldSucceeded.Attempts);
            var refunds = fx.Sandbox.Ledger.Find(Provider, original.OriginalReferenceNo)!.Refunds;
            Assert.Equal(3, refunds.Count);
            Assert.Equal(CircuitStates.Closed, CircuitStates.Get(Provider));
            Assert.Equal(held.ExternalId, refunds.Single(x => x.PartnerRefundNo == held.PartnerRefundNo).ExternalId);
        }
        finally
        {
            fx.Sandbox.Faults.Set(Provider, new FaultSettings());
        }
    }

    private static RefundRequested Request(LedgerEntry original) => Requests.NicepayRefund(original, 1_000m) with { Provider = Provider };

    private async Task<Operation> WaitAsync(Guid requestId, Func<Operation, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            await using var db = fx.Database.CreateContext();
            var op = await db.Operations.AsNoTracking().SingleOrDefaultAsync(o => o.RequestId == requestId);
            if (op is not null && condition(op))
            {
                return op;
            }

            Assert.True(DateTime.UtcNow < deadline, $"operation of {requestId} never reached the expected state (now {op?.State}, attempts {op?.Attempts})");
            await Task.Delay(50);
        }
    }

    private async Task<int> AttemptCountAsync(Guid requestId)
    {
        await using var db = fx.Database.CreateContext();
        return await db.Attempts.CountAsync(a => db.Operations.Any(o => o.Id == a.OperationId && o.RequestId == requestId));
    }
}
