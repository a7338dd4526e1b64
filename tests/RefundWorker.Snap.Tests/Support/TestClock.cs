namespace RefundWorker.Snap.Tests.Support;

/// <summary>Where the tests' <see cref="FakeTimeProvider"/> starts when a test does not care about the date.</summary>
internal static class TestClock
{
    /// <summary>
    /// The instant of the public signature vectors (10:11:40 in Jakarta). FakeTimeProvider's own default start is
    /// 2000-01-01, so every test clock is created from here or from an instant of its own.
    /// </summary>
    public static readonly DateTimeOffset Start = new(2024, 12, 31, 3, 11, 40, TimeSpan.Zero);

    public static FakeTimeProvider Create() => new(Start);
}
