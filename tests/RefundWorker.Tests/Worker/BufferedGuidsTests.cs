using RefundWorker.Operations;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// The hot path's row ids and lease tokens: the framework's layouts (version, variant, big-endian milliseconds, so
/// PostgreSQL's byte-by-byte uuid order follows creation time), no repeats across many buffer refills and threads,
/// and every random bit position actually random.
/// </summary>
public sealed class BufferedGuidsTests
{
    [Fact]
    public void Should_lay_out_version_7_ids_as_the_framework_does_with_the_same_milliseconds()
    {
        var at = new DateTimeOffset(2026, 12, 1, 9, 30, 15, 123, TimeSpan.Zero);

        var ours = BufferedGuids.NewVersion7(at);
        var framework = Guid.CreateVersion7(at);

        Assert.Equal(7, ours.Version);
        Assert.Equal(0x8, ours.Variant & 0xC);
        Assert.Equal(framework.ToByteArray(bigEndian: true)[..6], ours.ToByteArray(bigEndian: true)[..6]);
        Assert.Equal(framework.ToString()[..13], ours.ToString()[..13]);
    }

    [Fact]
    public void Should_sort_ids_of_later_milliseconds_after_earlier_ones_byte_by_byte()
    {
        var start = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        var ids = Enumerable.Range(0, 2_000).Select(i => BufferedGuids.NewVersion7(start.AddMilliseconds(i))).ToList();

        // PostgreSQL compares uuid values as 16 bytes in order (big-endian), as this does.
        var sorted = ids.OrderBy(g => Convert.ToHexString(g.ToByteArray(bigEndian: true)), StringComparer.Ordinal).ToList();

        Assert.Equal(ids, sorted);
    }

    [Fact]
    public void Should_not_repeat_over_many_buffer_refills_and_threads()
    {
        var at = DateTimeOffset.UtcNow;
        var perThread = Enumerable.Range(0, 4).AsParallel().WithDegreeOfParallelism(4)
            .SelectMany(t => Enumerable.Range(0, 100_000).Select(i => i % 2 == 0 ? BufferedGuids.NewVersion7(at) : BufferedGuids.NewRandom()))
            .ToList();

        Assert.Equal(400_000, perThread.Distinct().Count());
    }

    [Fact]
    public void Should_set_every_random_bit_of_a_lease_token_about_half_the_time()
    {
        const int Count = 20_000;
        var ones = new int[128];
        for (var n = 0; n < Count; n++)
        {
            var bytes = BufferedGuids.NewRandom().ToByteArray(bigEndian: true);
            for (var bit = 0; bit < 128; bit++)
            {
                ones[bit] += (bytes[bit / 8] >> (7 - (bit % 8))) & 1;
            }
        }

        // Bits 48-51 are the version (0100) and 64-65 the variant (10); the other 122 are random.
        int[] fixedBits = [48, 49, 50, 51, 64, 65];
        Assert.Equal([0, Count, 0, 0, Count, 0], fixedBits.Select(b => ones[b]));
        var skewed = Enumerable.Range(0, 128).Where(b => !fixedBits.Contains(b) && Math.Abs(ones[b] - (Count / 2)) > Count / 20).ToList();
        Assert.Empty(skewed);
    }
}
