namespace RefundWorker.Operations;

/// <summary>
/// Little's law: the calls in flight at a provider are its throughput times the time each call takes. To sustain
/// <c>perSecond</c> calls that take <c>latency</c> each, <c>perSecond × latency</c> calls must be in flight; the
/// headroom covers bursts and the latency's spread above the percentile used. Bounded below (a provider whose
/// latency is briefly tiny still gets a useful pool) and above (the configured <c>Concurrency</c>).
/// </summary>
public static class ConcurrencySizing
{
    public static int Size(double perSecond, TimeSpan latency, double headroom, int min, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var floor = Math.Clamp(min, 1, max);
        var needed = perSecond * latency.TotalSeconds * headroom;
        if (double.IsNaN(needed) || needed <= floor)
        {
            return floor;
        }

        return needed >= max ? max : (int)Math.Ceiling(needed);
    }
}
