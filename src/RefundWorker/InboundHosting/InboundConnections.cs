using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using RefundWorker.Extensions;
using RefundWorker.Inbound;
using RefundWorker.Options;
using RefundWorker.Outbox;
using RefundWorker.Persistence;

namespace RefundWorker.InboundHosting;

/// <summary>
/// The inbound side's own connection pool: the same database as the refund pipeline, its own
/// <see cref="NpgsqlDataSource"/> capped at <see cref="InboundOptions.MaxDatabaseConnections"/>. However many
/// inquiries arrive, they wait for these connections and never for (or instead of) the pipeline's.
/// </summary>
internal sealed class InboundConnections : IAsyncDisposable
{
    private readonly DbContextOptions<RefundWorkerDbContext> contextOptions;

    public InboundConnections(IOptions<ConnectionStringsOptions> connectionStrings, IOptions<InboundOptions> inbound, OutboxCommitInterceptor outboxSignal)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionStrings.Value.Postgres);
        builder.ConnectionStringBuilder.ApplicationName = "RefundWorker.Inbound";
        builder.ConnectionStringBuilder.MaxPoolSize = inbound.Value.MaxDatabaseConnections;
        builder.ConnectionStringBuilder.MinPoolSize = 0;
        DataSource = builder.Build();
        var options = new DbContextOptionsBuilder<RefundWorkerDbContext>();
        // The interceptor wakes the outbox dispatcher when an inquiry's CvsInquiryAnswered row commits.
        PersistenceExtensions.Configure(options, DataSource).AddInterceptors(outboxSignal);
        contextOptions = options.Options;
    }

    public NpgsqlDataSource DataSource { get; }

    public InboundDatabase Open() => new(new RefundWorkerDbContext(contextOptions));

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
