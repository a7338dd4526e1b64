using RefundWorker.Contracts;
using RefundWorker.Sandbox;

namespace RefundWorker.Tests.Infrastructure;

/// <summary>Test-data builders: originals seeded in the sandbox and the requests that refund or cancel them.</summary>
public static class Requests
{
    private static long _counter = DateTime.UtcNow.Ticks % 1_000_000_000;

    /// <summary>A numeric X-EXTERNAL-ID unique in this test run (24 digits, fits every provider).</summary>
    public static string ExternalId() => "9" + DateTime.UtcNow.ToString("yyMMddHHmmss") + Interlocked.Increment(ref _counter).ToString("D11");

    public static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..16];

    public const string NicepayMerchant = "IONPAYTEST";

    public static LedgerEntry Original(this SandboxHandle sandbox, string provider, decimal amount = 100_000m, string? merchantId = null)
        => sandbox.Ledger.AddOriginal(new OriginalSeed
        {
            Provider = provider,
            Amount = amount,
            MerchantId = merchantId,
            OriginalReferenceNo = Unique("TX"),
            OriginalPartnerReferenceNo = Unique("ORD"),
        });

    /// <summary>A NICEPAY partial refund of <paramref name="original"/>.</summary>
    public static RefundRequested NicepayRefund(LedgerEntry original, decimal amount = 10_000m) => new()
    {
        RequestId = Guid.NewGuid(),
        Provider = "nicepay",
        PartnerRefundNo = Unique("RF"),
        ExternalId = ExternalId(),
        MerchantId = original.MerchantId ?? NicepayMerchant,
        OriginalReferenceNo = original.OriginalReferenceNo,
        OriginalPartnerReferenceNo = original.OriginalPartnerReferenceNo,
        Amount = amount,
        Reason = "Customer returned the item",
        AdditionalInfo = new Dictionary<string, string> { ["cancelType"] = amount == original.Amount ? "1" : "2" },
    };

    /// <summary>A bank (bnc) refund of <paramref name="original"/>.</summary>
    public static RefundRequested BankRefund(LedgerEntry original, decimal amount = 10_000m) => new()
    {
        RequestId = Guid.NewGuid(),
        Provider = "bnc",
        PartnerRefundNo = Unique("BRF"),
        ExternalId = ExternalId(),
        MerchantId = original.MerchantId ?? "MERCHANT01",
        OriginalReferenceNo = original.OriginalReferenceNo,
        OriginalPartnerReferenceNo = original.OriginalPartnerReferenceNo,
        Amount = amount,
        Reason = "Refund",
        AdditionalInfo = new Dictionary<string, string> { ["deviceId"] = "POS-01", ["channel"] = "mobile" },
    };

    /// <summary>An iFortePay cancel of <paramref name="original"/>.</summary>
    public static CancelRequested IfortepayCancel(LedgerEntry original) => new()
    {
        RequestId = Guid.NewGuid(),
        Provider = "ifortepay",
        ExternalId = ExternalId(),
        MerchantId = original.MerchantId,
        OriginalPartnerReferenceNo = original.OriginalPartnerReferenceNo,
        OriginalReferenceNo = original.OriginalReferenceNo,
        Reason = "Order cancelled",
    };
}
