using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace RefundWorker.Admin;

/// <summary>
/// Groups dead letters by cause: the same exception type, the same message once ids, numbers and quoted values are
/// taken out, and the same message type. A thousand letters of one bad deploy are one group, not a thousand.
/// </summary>
public static partial class DeadLetterFingerprint
{
    public static string Compute(string? exceptionType, string? exceptionMessage, string? messageType, string? faultReason)
    {
        var text = $"{exceptionType ?? faultReason ?? "unknown"}\n{Normalise(exceptionMessage)}\n{messageType ?? "unreadable"}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }

    /// <summary>The message with what differs between letters of one cause replaced by placeholders.</summary>
    public static string Normalise(string? message)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return string.Empty;
        }

        var s = Guids().Replace(message, "<id>");
        s = Quoted().Replace(s, "<value>");
        s = Hex().Replace(s, "<hex>");
        s = Numbers().Replace(s, "<n>");
        return Spaces().Replace(s, " ").Trim();
    }

    [GeneratedRegex(@"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")]
    private static partial Regex Guids();

    [GeneratedRegex("'[^']*'|\"[^\"]*\"")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"\b0x[0-9a-fA-F]+\b|\b[0-9a-f]{16,}\b")]
    private static partial Regex Hex();

    [GeneratedRegex(@"\d+(\.\d+)?")]
    private static partial Regex Numbers();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
