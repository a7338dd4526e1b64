using RefundWorker.Contracts;

namespace RefundWorker.Inbound.Tests;

/// <summary>Test data: NICEPAY's sample payment code, with a fresh payNo and an expiry relative to the test clock.</summary>
public sealed class CvsPaymentCodeIssuedBuilder
{
    private string payNo = Ids.PayNo();
    private decimal amount = 10000m;
    private string? mitraCd = "ALMA";
    private DateTimeOffset expiresAt;

    public CvsPaymentCodeIssuedBuilder(TimeProvider clock) => expiresAt = clock.GetUtcNow().AddHours(2);

    public CvsPaymentCodeIssuedBuilder WithPayNo(string value)
    {
        payNo = value;
        return this;
    }

    public CvsPaymentCodeIssuedBuilder WithAmount(decimal value)
    {
        amount = value;
        return this;
    }

    public CvsPaymentCodeIssuedBuilder WithMitraCd(string? value)
    {
        mitraCd = value;
        return this;
    }

    public CvsPaymentCodeIssuedBuilder ExpiringAt(DateTimeOffset value)
    {
        expiresAt = value;
        return this;
    }

    public CvsPaymentCodeIssued Build() => new()
    {
        PartnerServiceId = payNo[..4],
        CustomerNo = payNo[4..],
        PayNo = payNo,
        PayNoName = "John Test",
        GoodsName = "Pembelian John Test",
        PayNoPhone = "087771122333",
        PayNoEmail = "jhon@test.com",
        Amount = amount,
        Currency = "IDR",
        PartnerReferenceNo = "abcdefgh1234",
        MitraCd = mitraCd,
        // Second precision, as payNoExpiredDateTime carries it.
        ExpiresAt = new DateTimeOffset(expiresAt.UtcTicks - (expiresAt.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero),
    };
}
