using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace RefundWorker.Snap;

/// <summary>Supplies X-EXTERNAL-ID values.</summary>
public interface IExternalIdGenerator
{
    /// <summary>A numeric id, unique for <paramref name="partnerId"/> today, at most <paramref name="maxLength"/> digits.</summary>
    string Next(string partnerId, int maxLength);
}

/// <summary>
/// X-EXTERNAL-ID must be numeric and unique per partner per day; a reused one is answered 409xx00, which reads
/// as outcome-unknown (docs/protocol.md#external-id). Replicas share one partner id, so uniqueness cannot come
/// from a counter alone. Layout (30 digits, shortened node part below 30):
/// <code>
///   yyyyMMdd (Jakarta date) | node (10) | millisecond of day (8) | sequence within the millisecond (4)
/// </code>
/// The node part separates replicas; the time part makes a restarted process continue after the ids its
/// previous life issued (as long as the clock does not step back over the restart); the 4-digit sequence allows
/// 10,000 ids per millisecond before borrowing from the next millisecond. Ids embed their date, so they never
/// repeat on a later day either. One sequence serves every partner, which only makes the ids more unique.
/// </summary>
public sealed class ExternalIdGenerator : IExternalIdGenerator
{
    /// <summary>Date (8) + at least 4 node digits + time and sequence (12).</summary>
    public const int MinimumLength = 24;

    private const int NodeDigits = 10;
    private const long SequencePerMillisecond = 10_000;
    private const long MillisecondsPerDay = 86_400_000;
    private const long SlotsPerDay = MillisecondsPerDay * SequencePerMillisecond;
    private static readonly TimeSpan JakartaOffset = TimeSpan.FromHours(7);

    private readonly TimeProvider _time;
    private readonly string _node;

    // Jakarta day number * SlotsPerDay + millisecond-of-day * 10,000 + sequence: one long, so that taking the
    // next id is a lock-free compare-and-swap even across midnight.
    private long _last = -1;

    public ExternalIdGenerator(TimeProvider time, string? nodeId)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _node = NodeComponent(nodeId);
    }

    /// <summary>A process-wide generator on the system clock, for callers outside dependency injection.</summary>
    public static ExternalIdGenerator Default { get; } = new(TimeProvider.System, null);

    /// <summary>The 10-digit node part this generator writes.</summary>
    public string Node => _node;

    public string Next(string partnerId, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, MinimumLength);
        var slot = NextSlot();
        var day = slot / SlotsPerDay;
        var withinDay = slot % SlotsPerDay;
        var date = DateOnly.FromDayNumber((int)day);
        var nodeDigits = Math.Min(NodeDigits, maxLength - 20);

        return string.Create(20 + nodeDigits, (date, withinDay, node: _node, nodeDigits), static (span, s) =>
        {
            WriteDigits(span[..4], s.date.Year);
            WriteDigits(span.Slice(4, 2), s.date.Month);
            WriteDigits(span.Slice(6, 2), s.date.Day);
            // The low digits of the node part vary most between hashed node ids; keep those when shortening.
            s.node.AsSpan(NodeDigits - s.nodeDigits).CopyTo(span.Slice(8, s.nodeDigits));
            WriteDigits(span[(8 + s.nodeDigits)..], s.withinDay);
        });
    }

    private long NextSlot()
    {
        var now = _time.GetUtcNow().ToOffset(JakartaOffset);
        var day = DateOnly.FromDateTime(now.DateTime).DayNumber;
        var floor = (day * SlotsPerDay) + ((long)now.TimeOfDay.TotalMilliseconds * SequencePerMillisecond);
        while (true)
        {
            var last = Volatile.Read(ref _last);
            var next = Math.Max(last + 1, floor);
            if (Interlocked.CompareExchange(ref _last, next, last) == last)
            {
                return next;
            }
        }
    }

    private static string NodeComponent(string? nodeId)
    {
        var id = string.IsNullOrWhiteSpace(nodeId)
            ? $"{Environment.MachineName}:{Environment.ProcessId}"
            : nodeId.Trim();

        // A replica ordinal ("0", "3") or any short number is used as is: distinct by construction.
        if (id.Length <= NodeDigits && id.All(char.IsAsciiDigit))
        {
            return id.PadLeft(NodeDigits, '0');
        }

        // A pod or host name is hashed into 10 digits: distinct with overwhelming probability.
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(id), hash);
        var value = BinaryPrimitives.ReadUInt64BigEndian(hash) % 10_000_000_000UL;
        return value.ToString("D10", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void WriteDigits(Span<char> destination, long value)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (char)('0' + (value % 10));
            value /= 10;
        }
    }
}
