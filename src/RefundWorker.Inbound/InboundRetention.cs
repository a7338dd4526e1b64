using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RefundWorker.Inbound;

/// <summary>
/// Deletes what the inbound side keeps about customers once it is no longer needed (<see cref="InboundRetentionOptions"/>):
/// payment codes (name, phone, email) <c>Days</c> after they expired, with their closures, and inquiries (whose stored
/// answer repeats the name) <c>Days</c> after they were answered, unless a kept payment code still has their payNo.
/// Runs every <c>Interval</c> on the host's clock; each DELETE takes at most <c>BatchSize</c> rows, so no statement
/// holds many locks or runs long next to the refund pipeline.
/// </summary>
internal sealed class InboundRetention(
    IServiceScopeFactory scopes, IOptions<InboundOptions> options, TimeProvider time, ILogger<InboundRetention> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Retention;
        if (settings.Days == 0)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(settings.Interval, time, stoppingToken);
                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // PostgreSQL away or busy: the next run catches up, nothing is lost by waiting.
                logger.LogWarning(e, "Inbound retention run failed; retrying in {Interval}", settings.Interval);
            }
        }
    }

    /// <summary>One pass: deletes batches until nothing is past retention. Returns the rows deleted.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var settings = options.Value.Retention;
        var cutoff = time.GetUtcNow() - TimeSpan.FromDays(settings.Days);
        var batch = settings.BatchSize;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<InboundDatabase>().Context.Database;
        var total = 0;

        total += await DeleteAllAsync(() => db.ExecuteSqlInterpolatedAsync(
            $"""
            DELETE FROM cvs_payment_codes WHERE ctid IN (
              SELECT ctid FROM cvs_payment_codes WHERE expires_at < {cutoff} LIMIT {batch})
            """, ct));
        total += await DeleteAllAsync(() => db.ExecuteSqlInterpolatedAsync(
            $"""
            DELETE FROM cvs_payment_code_closures WHERE ctid IN (
              SELECT c.ctid FROM cvs_payment_code_closures c
              WHERE c.closed_at < {cutoff} AND NOT EXISTS (SELECT 1 FROM cvs_payment_codes p WHERE p.pay_no = c.pay_no)
              LIMIT {batch})
            """, ct));
        total += await DeleteAllAsync(() => db.ExecuteSqlInterpolatedAsync(
            $"""
            DELETE FROM cvs_inquiries WHERE ctid IN (
              SELECT i.ctid FROM cvs_inquiries i
              WHERE i.answered_at < {cutoff} AND NOT EXISTS (SELECT 1 FROM cvs_payment_codes p WHERE p.pay_no = i.pay_no)
              LIMIT {batch})
            """, ct));
        if (total > 0)
        {
            logger.LogInformation("Inbound retention deleted {Rows} rows older than {Days} days", total, settings.Days);
        }

        return total;
    }

    private static async Task<int> DeleteAllAsync(Func<Task<int>> deleteBatch)
    {
        var total = 0;
        while (await deleteBatch() is var n and > 0)
        {
            total += n;
        }

        return total;
    }
}
