using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Npgsql;
using RefundWorker.Admin;
using RefundWorker.Contracts;
using RefundWorker.Operations;
using RefundWorker.Persistence;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Admin;

/// <summary>
/// The worker behind the ops console: the admin API on with an operator and a reader (keys configured as SHA-256 only)
/// and a Grafana trace link template, on its own database and vhost, so the console's counts are this collection's.
/// </summary>
public sealed class ConsoleFixture : WorkerFixture
{
    public const string OperatorName = "carol";
    public const string ReaderName = "dave";
    public const string GrafanaTraceUrl = "https://grafana.example/explore?traceId={traceId}";
    public const string RefundType = "urn:message:RefundWorker.Contracts:RefundRequested";
    public const string RefundExchange = "RefundWorker.Contracts:RefundRequested";

    public string OperatorKey { get; } = "rwk_op_" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

    public string ReaderKey { get; } = "rwk_rd_" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

    public CapturingLoggerProvider Logs { get; } = new();

    public override Dictionary<string, string?> WorkerSettings()
    {
        var s = base.WorkerSettings();
        s[$"Admin:Operators:{OperatorName}:KeyHash"] = AdminAuthenticator.HashKey(OperatorKey);
        s[$"Admin:Operators:{OperatorName}:Role"] = "operator";
        s[$"Admin:Operators:{ReaderName}:KeyHash"] = AdminAuthenticator.HashKey(ReaderKey);
        s[$"Admin:Operators:{ReaderName}:Role"] = "reader";
        s["Admin:GrafanaTraceUrl"] = GrafanaTraceUrl;
        s["Admin:DrainInterval"] = "00:00:00.200";
        s["Admin:PauseRefreshInterval"] = "00:00:00.500";
        s["Logging:LogLevel:Default"] = "Information";
        s["Logging:LogLevel:Microsoft.AspNetCore"] = "Information";
        return s;
    }

    protected override void ConfigureWorker(WebApplicationBuilder builder) => builder.Logging.AddProvider(Logs);

    /// <summary>The console's address on the fixture's worker.</summary>
    public Uri ConsoleUrl => new(AddressOf(Worker), "/admin/ui/");

    public HttpClient Client(string? key)
    {
        var http = new HttpClient { BaseAddress = AddressOf(Worker), Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return http;
    }

    /// <summary>Publishes raw bytes as the order system's MassTransit would (to the type's exchange), or straight into a queue.</summary>
    public Task PublishRawAsync(byte[] body, string messageId, string? queue = null)
        => PublishRawAsync(RefundExchange, body, messageId, routingKeyQueue: queue);

    /// <summary>A refund the order system sent without externalId and merchantId: the contract cannot be read, so it faults.</summary>
    public async Task<(Guid LetterId, RefundRequested Fixed)> PoisonRefundAsync()
    {
        var request = Requests.NicepayRefund(Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant));
        var messageId = Guid.NewGuid();
        var poison = new { request.RequestId, request.Provider, request.PartnerRefundNo, request.Amount, request.Currency, request.OriginalReferenceNo };
        await PublishRawAsync(AdminFixture.Envelope(RefundType, poison, messageId), messageId.ToString());
        return (await LetterAsync(messageId.ToString()), request);
    }

    public async Task<Guid> LetterAsync(string messageId)
        => (Guid)await AdminFixture.EventuallyAsync(async () =>
        {
            await using var cmd = Database.DataSource.CreateCommand("SELECT id FROM dead_letters WHERE message_id = $1");
            cmd.Parameters.Add(new NpgsqlParameter { Value = messageId });
            return await cmd.ExecuteScalarAsync() is Guid g ? (object)g : null;
        }, TimeSpan.FromSeconds(60), "the dead letter " + messageId);

    /// <summary>An accepted refund past Worker:MaxOperationAge and due now: the worker sends it to NeedsReview without a call.</summary>
    public async Task<(Guid Id, RefundRequested Request)> NeedsReviewRefundAsync()
    {
        var request = Requests.NicepayRefund(Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant));
        var op = OperationFactory.FromMessage(request, DateTimeOffset.UtcNow - TimeSpan.FromDays(8));
        op.State = OperationState.Pending;
        op.NextAttemptAt = DateTimeOffset.UtcNow;
        await using (var accept = await new OperationStore(Database.DataSource).BeginAcceptAsync(CancellationToken.None))
        {
            Assert.Contains(op.Id, await accept.InsertOperationsAsync([op], TimeSpan.FromMinutes(1), CancellationToken.None));
            await accept.CommitAsync(CancellationToken.None);
        }

        await Outcomes.WaitForAsync<RefundNeedsReview>(request.RequestId);
        return (op.Id, request);
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "console";
}
