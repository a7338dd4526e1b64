namespace RefundWorker.Operations;

/// <summary>
/// A one-slot wake-up for a background loop that otherwise polls: any number of <see cref="Set"/> calls before the
/// loop's next <see cref="WaitAsync(CancellationToken)"/> wake it once, which covers all of them.
/// </summary>
/// <remarks>
/// A <see cref="SemaphoreSlim"/> of capacity one, released only while it is not already released: releasing a full
/// one throws <see cref="SemaphoreFullException"/>, and the outbox and scheduler signals are set after nearly every
/// commit, so catching it cost the worker an exception per commit under load. Two racing callers can still both see
/// the slot empty; the loser's exception is caught, and it is rare.
/// </remarks>
public sealed class WakeSignal : IDisposable
{
    private readonly SemaphoreSlim _slot = new(0, 1);

    public void Set()
    {
        if (_slot.CurrentCount > 0)
        {
            return;
        }

        try
        {
            _slot.Release();
        }
        catch (SemaphoreFullException)
        {
            // Set by a racing caller in between: one wake-up covers both.
        }
        catch (ObjectDisposedException)
        {
            // The loop has ended.
        }
    }

    public Task WaitAsync(CancellationToken ct) => _slot.WaitAsync(ct);

    /// <summary>True when woken, false when <paramref name="timeout"/> passed first.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _slot.WaitAsync(timeout, ct);

    public void Dispose() => _slot.Dispose();
}
