using Microsoft.Extensions.Options;

namespace RefundWorker.Options;

/// <summary>
/// <c>Worker:OutboxCleanup:*</c>: how sent outbox rows older than <c>Worker:OutboxRetention</c> are deleted. Each pass
/// deletes batches until no old row is left, pausing between batches so the deletes do not crowd out the work
/// PostgreSQL does for requests (see Outbox/OutboxRetention.cs).
/// </summary>
public sealed class OutboxCleanupOptions
{
    public const string SectionName = "Worker:OutboxCleanup";

    /// <summary>How often a pass starts (per replica).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Rows deleted per statement (one short transaction each).</summary>
    public int BatchSize { get; set; } = 5_000;

    /// <summary>Pause between two batches of one pass.</summary>
    public TimeSpan Pause { get; set; } = TimeSpan.FromMilliseconds(50);
}

/// <summary>Fails the start with a message that names the key.</summary>
public sealed class OutboxCleanupOptionsValidator : IValidateOptions<OutboxCleanupOptions>
{
    public ValidateOptionsResult Validate(string? name, OutboxCleanupOptions o)
    {
        var errors = new List<string>();
        if (o.Interval <= TimeSpan.Zero)
        {
            errors.Add($"{OutboxCleanupOptions.SectionName}:{nameof(o.Interval)} must be positive.");
        }

        if (o.BatchSize is < 1 or > 100_000)
        {
            errors.Add($"{OutboxCleanupOptions.SectionName}:{nameof(o.BatchSize)} must be between 1 and 100000 (was {o.BatchSize}).");
        }

        if (o.Pause < TimeSpan.Zero)
        {
            errors.Add($"{OutboxCleanupOptions.SectionName}:{nameof(o.Pause)} must not be negative.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
