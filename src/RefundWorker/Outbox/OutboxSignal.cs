namespace RefundWorker.Outbox;

/// <summary>
/// Wakes the outbox dispatcher after a commit that added events, so they go out in milliseconds instead of at the
/// next poll. Anyone appending to the outbox may call <see cref="Notify"/> after their commit; rows added through
/// <c>RefundWorkerDbContext</c> wake it by themselves (see <see cref="OutboxCommitInterceptor"/>).
/// </summary>
public sealed class OutboxSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one wake-up covers every commit before it.
        }
    }

    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => await _signal.WaitAsync(timeout, ct);
}
