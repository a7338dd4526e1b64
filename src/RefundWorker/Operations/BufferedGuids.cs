using System.Buffers.Binary;
using System.Security.Cryptography;

namespace RefundWorker.Operations;

/// <summary>
/// Row ids (version 7 UUIDs) and lease tokens (version 4) for the hot path, with their random bits taken from a
/// per-thread buffer that is refilled 4 KB at a time from the operating system's cryptographic generator.
/// </summary>
/// <remarks>
/// <see cref="Guid.NewGuid"/> and <see cref="Guid.CreateVersion7(DateTimeOffset)"/> read <c>/dev/urandom</c> once per
/// id on the Linux builds of .NET (strace of a busy worker: a 16-byte <c>read</c> syscall for each, about three per
/// refund; README "Performance"). The bits are the same kind of bits, only fetched 256 ids at a time. The layouts are
/// RFC 9562's: a version 7 id starts with the big-endian Unix time in milliseconds, so ids of later rows sort after
/// earlier ones in PostgreSQL's <c>uuid</c> order (byte by byte), as <see cref="Guid.CreateVersion7(DateTimeOffset)"/>'s do.
/// </remarks>
public static class BufferedGuids
{
    private const int BufferSize = 4096;

    [ThreadStatic]
    private static byte[]? t_buffer;

    [ThreadStatic]
    private static int t_next;

    /// <summary>A version 7 UUID for a row created at <paramref name="at"/>: 48 bits of Unix milliseconds, 74 random bits.</summary>
    public static Guid NewVersion7(DateTimeOffset at)
    {
        Span<byte> bytes = stackalloc byte[16];
        FillRandom(bytes);
        var ms = at.ToUnixTimeMilliseconds();
        ArgumentOutOfRangeException.ThrowIfNegative(ms, nameof(at));
        // 48-bit big-endian timestamp in bytes 0-5, then the version and variant over the random bits.
        BinaryPrimitives.WriteInt64BigEndian(bytes[..8], (ms << 16) | BinaryPrimitives.ReadUInt16BigEndian(bytes[6..8]));
        return Stamp(bytes, version: 7);
    }

    /// <summary>A random (version 4) UUID: 122 random bits.</summary>
    public static Guid NewRandom()
    {
        Span<byte> bytes = stackalloc byte[16];
        FillRandom(bytes);
        return Stamp(bytes, version: 4);
    }

    private static Guid Stamp(Span<byte> bytes, int version)
    {
        bytes[6] = (byte)((bytes[6] & 0x0F) | (version << 4));
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    private static void FillRandom(Span<byte> destination)
    {
        var buffer = t_buffer ??= new byte[BufferSize];
        if (t_next == 0 || t_next + destination.Length > BufferSize)
        {
            RandomNumberGenerator.Fill(buffer);
            t_next = 0;
        }

        // Each random byte is handed out once.
        buffer.AsSpan(t_next, destination.Length).CopyTo(destination);
        t_next += destination.Length;
        if (t_next == BufferSize)
        {
            t_next = 0;
        }
    }
}
