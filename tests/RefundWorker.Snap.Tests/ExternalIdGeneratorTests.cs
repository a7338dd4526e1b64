using System.Collections.Concurrent;
using RefundWorker.Snap.Tests.Support;

namespace RefundWorker.Snap.Tests;

public sealed class ExternalIdGeneratorTests
{
    [Theory]
    [InlineData(36)]
    [InlineData(40)]
    [InlineData(24)]
    public void Should_be_numeric_and_within_length_when_generated(int maxLength)
    {
        var generator = new ExternalIdGenerator(TestClock.Create(), "refundworker-7d9f-abcde");

        var id = generator.Next("IONPAYTEST", maxLength);

        Assert.True(id.Length <= maxLength, id);
        Assert.All(id, c => Assert.InRange(c, '0', '9'));
        Assert.Empty(SnapValidator.ValidateExternalId(id, maxLength));
    }

    [Fact]
    public void Should_start_with_jakarta_date_when_utc_date_is_still_yesterday()
    {
        // 20:00 UTC on 31 Dec is 03:00 on 1 Jan in Jakarta: "per day" is the provider's day.
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 12, 31, 20, 0, 0, TimeSpan.Zero));

        Assert.StartsWith("20250101", new ExternalIdGenerator(time, "1").Next("P", 36), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_never_repeat_when_two_replicas_generate_many_ids_at_the_same_instant()
    {
        // Same frozen clock for both: only the node part can keep them apart.
        var time = TestClock.Create();
        var a = new ExternalIdGenerator(time, "refundworker-0");
        var b = new ExternalIdGenerator(time, "refundworker-1");
        var seen = new HashSet<string>(StringComparer.Ordinal);

        for (var i = 0; i < 50_000; i++)
        {
            Assert.True(seen.Add(a.Next("IONPAYTEST", 36)));
            Assert.True(seen.Add(b.Next("IONPAYTEST", 36)));
        }

        Assert.Equal(100_000, seen.Count);
    }

    [Fact]
    public void Should_never_repeat_when_many_threads_share_one_generator()
    {
        var generator = new ExternalIdGenerator(TestClock.Create(), "7");
        var ids = new ConcurrentBag<string>();

        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                ids.Add(generator.Next("IONPAYTEST", 40));
            }
        });

        Assert.Equal(160_000, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Should_continue_after_previous_ids_when_process_restarts_later_the_same_day()
    {
        var time = TestClock.Create();
        var before = new ExternalIdGenerator(time, "3");
        var issued = Enumerable.Range(0, 5_000).Select(_ => before.Next("P", 36)).ToList();

        time.Advance(TimeSpan.FromMilliseconds(1));
        var restarted = new ExternalIdGenerator(time, "3");
        var next = restarted.Next("P", 36);

        Assert.DoesNotContain(next, issued);
        Assert.True(string.CompareOrdinal(next, issued[^1]) > 0);
    }

    [Fact]
    public void Should_use_distinct_node_parts_when_node_ids_differ()
    {
        var time = TestClock.Create();

        Assert.Equal("0000000012", new ExternalIdGenerator(time, "12").Node);
        Assert.NotEqual(new ExternalIdGenerator(time, "pod-a").Node, new ExternalIdGenerator(time, "pod-b").Node);
        Assert.Equal(new ExternalIdGenerator(time, "pod-a").Node, new ExternalIdGenerator(time, "pod-a").Node);
    }

    [Fact]
    public void Should_refuse_when_max_length_cannot_hold_a_unique_id()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExternalIdGenerator(TestClock.Create(), "1").Next("P", 20));
    }
}
