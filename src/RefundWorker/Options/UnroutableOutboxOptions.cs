using Microsoft.Extensions.Options;

namespace RefundWorker.Options;

/// <summary>
/// <c>Worker:Unroutable:*</c>: when RabbitMQ returns an outbox event because no queue is bound to its exchange, the row
/// stays unsent and is published again after an exponential backoff (see Outbox/OutboxDispatcher.cs).
/// </summary>
public sealed class UnroutableOutboxOptions
{
    public const string SectionName = "Worker:Unroutable";

    /// <summary>Delay before the first new try; doubles with every return.</summary>
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest delay between two tries.</summary>
    public TimeSpan RetryMax { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>Fails the start with a message that names the key.</summary>
public sealed class UnroutableOutboxOptionsValidator : IValidateOptions<UnroutableOutboxOptions>
{
    public ValidateOptionsResult Validate(string? name, UnroutableOutboxOptions o)
    {
        if (o.RetryBase <= TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail($"{UnroutableOutboxOptions.SectionName}:{nameof(o.RetryBase)} must be positive.");
        }

        return o.RetryMax < o.RetryBase
            ? ValidateOptionsResult.Fail($"{UnroutableOutboxOptions.SectionName}:{nameof(o.RetryMax)} must not be shorter than {nameof(o.RetryBase)}.")
            : ValidateOptionsResult.Success;
    }
}
