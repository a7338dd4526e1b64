using Microsoft.Extensions.Options;
using RefundWorker.Extensions;

namespace RefundWorker.Options;

/// <summary>
/// <c>Worker:RequestQueues:*</c>: arguments of the request queues (refund-requested, cancel-requested and the inbound
/// ones) that RabbitMQ fixes when it creates a queue. See <see cref="MessagingTopology.DeliveryLimit"/>.
/// </summary>
public sealed class RequestQueueOptions
{
    public const string SectionName = "Worker:RequestQueues";

    /// <summary>
    /// <c>x-delivery-limit</c> of the request queues: how many times a message may return to the queue before RabbitMQ
    /// dead-letters it into <c>&lt;queue&gt;_error</c>. RabbitMQ refuses to redeclare an existing queue with another
    /// value (and a policy can only lower it), so a deployment whose queues were created with another value sets that
    /// value here until it recreates them.
    /// </summary>
    public int DeliveryLimit { get; set; } = MessagingTopology.DeliveryLimit;
}

/// <summary>Fails the start with a message that names the key.</summary>
public sealed class RequestQueueOptionsValidator : IValidateOptions<RequestQueueOptions>
{
    public ValidateOptionsResult Validate(string? name, RequestQueueOptions o)
        => o.DeliveryLimit is < 0 or > 1_000
            ? ValidateOptionsResult.Fail($"{RequestQueueOptions.SectionName}:{nameof(o.DeliveryLimit)} must be between 0 and 1000 (was {o.DeliveryLimit}).")
            : ValidateOptionsResult.Success;
}
