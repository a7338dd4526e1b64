namespace RefundWorker.Tests.Inbound;

/// <summary>A clock the test moves by hand (token expiry, the next Jakarta day). Thread-safe.</summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private long ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);
}
