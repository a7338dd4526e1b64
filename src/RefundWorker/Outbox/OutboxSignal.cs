using RefundWorker.Operations;

namespace RefundWorker.Outbox;

/// <summary>
/// Wakes the outbox dispatcher after a commit that added events, so they go out in milliseconds instead of at the
/// next poll. Anyone appending to the outbox may call <see cref="Notify"/> after their commit; rows added through
/// <c>RefundWorkerDbContext</c> wake it by themselves (see <see cref="OutboxCommitInterceptor"/>).
/// </summary>
public sealed class OutboxSignal
{
    private readonly WakeSignal _signal = new();

    /// <summary>Already signalled: one wake-up covers every commit before it.</summary>
    public void Notify() => _signal.Set();

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}
