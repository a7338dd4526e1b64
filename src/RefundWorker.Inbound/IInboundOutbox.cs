namespace RefundWorker.Inbound;

/// <summary>
/// Where the inquiry store hands <c>CvsInquiryAnswered</c>: the host's transactional outbox, which writes the message
/// through the same DbContext so it commits with the inquiry record (see InboundExtensions for the binding).
/// </summary>
public interface IInboundOutbox
{
    Task PublishAsync<T>(T message, CancellationToken ct)
        where T : class;
}
