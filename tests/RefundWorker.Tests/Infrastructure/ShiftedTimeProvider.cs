namespace RefundWorker.Tests.Infrastructure;

/// <summary>
/// Real time plus an adjustable offset, for whole hosts that must see another wall-clock time (a Jakarta midnight)
/// while their timers, delays and timestamps keep running in real time: only <see cref="GetUtcNow"/> is shifted.
/// A FakeTimeProvider would stop every <c>Task.Delay(…, timeProvider)</c> of the host until the test advanced it.
/// </summary>
public sealed class ShiftedTimeProvider : TimeProvider
{
    private long _offsetTicks;

    public TimeSpan Offset
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
        set => Interlocked.Exchange(ref _offsetTicks, value.Ticks);
    }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;

    /// <summary>Shifts the clock so that it reads <paramref name="instant"/> now (and runs on from there).</summary>
    public void SetNow(DateTimeOffset instant) => Offset = instant - System.GetUtcNow();
}
