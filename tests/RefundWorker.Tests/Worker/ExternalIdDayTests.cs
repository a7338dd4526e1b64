using RefundWorker.Operations;
using RefundWorker.Options;

namespace RefundWorker.Tests.Worker;

/// <summary>The day an X-EXTERNAL-ID belongs to is the Jakarta (UTC+7) date, which turns at 17:00 UTC.</summary>
public sealed class ExternalIdDayTests
{
    [Theory]
    [InlineData("2026-03-09T16:59:59Z", "2026-03-09")]
    [InlineData("2026-03-09T17:00:00Z", "2026-03-10")]
    [InlineData("2026-12-31T16:59:59.999Z", "2026-12-31")]
    [InlineData("2026-12-31T17:00:00Z", "2027-01-01")]
    [InlineData("2026-03-10T00:00:00+07:00", "2026-03-10")]
    public void Should_take_the_Jakarta_date_when_the_instant_is_around_Jakarta_midnight(string instant, string expected)
    {
        Assert.Equal(DateOnly.Parse(expected, System.Globalization.CultureInfo.InvariantCulture),
            ExternalIdDay.Of(DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Should_collide_only_on_the_same_day_when_the_scope_is_Day_and_on_any_day_when_Forever()
    {
        var day = new DateOnly(2026, 3, 9);

        Assert.True(ExternalIdDay.Collide(ExternalIdScope.Day, day, day));
        Assert.False(ExternalIdDay.Collide(ExternalIdScope.Day, day, day.AddDays(1)));
        Assert.True(ExternalIdDay.Collide(ExternalIdScope.Forever, day, day.AddDays(1)));
    }
}
