using Microsoft.Extensions.Options;

namespace RefundWorker.Options;

/// <summary>
/// <c>Worker:DatabaseGate:*</c>: how the worker notices that PostgreSQL is away (or not migrated yet) and stops
/// taking requests off RabbitMQ until it is back (see Availability/DatabaseGate.cs).
/// </summary>
public sealed class DatabaseGateOptions
{
    public const string SectionName = "Worker:DatabaseGate";

    /// <summary>How often PostgreSQL and the schema are probed.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one probe may take (connect plus the two queries) before PostgreSQL counts as away.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Successful probes in a row needed to resume consuming after an outage. More than one, so a database that
    /// flaps does not stop and start the consumers on every probe: each stop returns the messages the consumers
    /// held, and every return counts toward the queue's delivery limit.
    /// </summary>
    public int ProbesToReopen { get; set; } = 2;

    /// <summary>
    /// When the gate closes, how long requests already taken may wait for PostgreSQL before they are handed back to
    /// RabbitMQ (one delivery each). Also MassTransit's consumer stop timeout at shutdown, capped by
    /// <c>Worker:ShutdownTimeout</c>.
    /// </summary>
    public TimeSpan StopGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many times one batch is tried again in place while the probe still finds PostgreSQL healthy (a broken
    /// pooled connection, a deadlock); after that the failure goes to MassTransit's retry and error queue as a bug.
    /// </summary>
    public int InPlaceRetries { get; set; } = 10;
}

/// <summary>Fails the start with a message that names the key.</summary>
public sealed class DatabaseGateOptionsValidator : IValidateOptions<DatabaseGateOptions>
{
    public ValidateOptionsResult Validate(string? name, DatabaseGateOptions o)
    {
        var errors = new List<string>();
        Positive(nameof(o.ProbeInterval), o.ProbeInterval);
        Positive(nameof(o.ProbeTimeout), o.ProbeTimeout);
        Positive(nameof(o.StopGracePeriod), o.StopGracePeriod);
        if (o.ProbesToReopen < 1)
        {
            errors.Add($"{DatabaseGateOptions.SectionName}:{nameof(o.ProbesToReopen)} must be at least 1.");
        }

        if (o.InPlaceRetries < 0)
        {
            errors.Add($"{DatabaseGateOptions.SectionName}:{nameof(o.InPlaceRetries)} must not be negative.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);

        void Positive(string key, TimeSpan value)
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add($"{DatabaseGateOptions.SectionName}:{key} must be positive.");
            }
        }
    }
}
