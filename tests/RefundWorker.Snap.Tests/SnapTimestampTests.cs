using RefundWorker.Snap.Tests.Support;

namespace RefundWorker.Snap.Tests;

// Changes TimeZoneInfo.Local for the process: kept out of parallel runs with any other test touching local time.
[Collection(nameof(LocalTimeZoneCollection))]
public sealed class SnapTimestampTests
{
    [Theory]
    [InlineData("2024-12-31T03:11:40Z", "2024-12-31T10:11:40+07:00")]
    [InlineData("2024-12-31T20:00:00Z", "2025-01-01T03:00:00+07:00")]
    [InlineData("2024-03-10T01:59:59-05:00", "2024-03-10T13:59:59+07:00")]
    [InlineData("2020-12-23T08:10:11+07:00", "2020-12-23T08:10:11+07:00")]
    [InlineData("0999-01-01T00:00:00Z", "0999-01-01T07:00:00+07:00")]
    public void Should_format_in_jakarta_time_when_instant_has_any_offset(string instant, string expected)
    {
        Assert.Equal(expected, SnapTimestamp.Format(DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("America/New_York")]
    [InlineData("Asia/Tokyo")]
    [InlineData("UTC")]
    [InlineData("Pacific/Chatham")]
    public void Should_not_depend_on_server_zone_when_formatting_now(string zone)
    {
        var saved = Environment.GetEnvironmentVariable("TZ");
        try
        {
            Environment.SetEnvironmentVariable("TZ", zone);
            TimeZoneInfo.ClearCachedData();
            Assert.Equal(zone == "UTC" ? TimeSpan.Zero : TimeZoneInfo.FindSystemTimeZoneById(zone).BaseUtcOffset, TimeZoneInfo.Local.BaseUtcOffset);

            var time = new FakeTimeProvider(new DateTimeOffset(2024, 7, 1, 23, 30, 5, TimeSpan.Zero));
            // FakeTimeProvider's local zone is UTC unless told: give it the server zone this case sets up.
            time.SetLocalTimeZone(TimeZoneInfo.Local);

            Assert.Equal("2024-07-02T06:30:05+07:00", SnapTimestamp.Now(time));
            Assert.Equal("2024-07-02T06:30:05+07:00", SnapTimestamp.Format(time.GetLocalNow()));
        }
        finally
        {
            Environment.SetEnvironmentVariable("TZ", saved);
            TimeZoneInfo.ClearCachedData();
        }
    }

    [Theory]
    [InlineData("2024-12-31T10:11:40+07:00", "2024-12-31T03:11:40Z")]
    [InlineData("2024-12-31T03:11:40Z", "2024-12-31T03:11:40Z")]
    [InlineData("2024-12-31T05:11:40+02:00", "2024-12-31T03:11:40Z")]
    public void Should_parse_any_offset_when_timestamp_is_iso8601(string value, string utc)
    {
        Assert.True(SnapTimestamp.TryParse(value, out var instant));
        Assert.Equal(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), instant);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("2024-12-31T10:11:40")]
    [InlineData("2024-12-31 10:11:40+07:00")]
    [InlineData("2024-12-31T10:11+07:00")]
    [InlineData("31-12-2024T10:11:40+07:00")]
    [InlineData("2024-02-30T10:11:40+07:00")]
    [InlineData("yesterday")]
    public void Should_reject_when_timestamp_lacks_offset_or_is_malformed(string? value)
    {
        Assert.False(SnapTimestamp.TryParse(value, out _));
    }
}

[CollectionDefinition(nameof(LocalTimeZoneCollection), DisableParallelization = true)]
public sealed class LocalTimeZoneCollection;
