namespace RefundWorker.Sandbox.Tests.Infrastructure;

/// <summary>
/// The sandbox's clock in tests: a <see cref="FakeTimeProvider"/> whose wall clock the test moves by hand, but whose
/// timers run in real time. The sandbox waits on this clock for injected latency and hangs, and the fault tests time
/// those waits with a stopwatch or rely on a hang ending by itself; FakeTimeProvider's own timers would only fire when
/// a test advances the clock, so those requests would never be answered.
/// </summary>
internal sealed class RealTimerFakeTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        => TimeProvider.System.CreateTimer(callback, state, dueTime, period);
}
