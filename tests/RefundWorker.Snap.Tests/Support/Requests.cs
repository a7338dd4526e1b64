namespace RefundWorker.Snap.Tests.Support;

/// <summary>Valid requests, from the providers' published samples; tests change one field with <c>with</c>.</summary>
internal static class Requests
{
    public static NicepayRefundRequest Nicepay() => new()
    {
        OriginalReferenceNo = "NCPY20221017161458",
        OriginalPartnerReferenceNo = "IONPAYTEST08202106091121206416",
        PartnerRefundNo = "NCPY20221017161458",
        MerchantId = "IONPAYTEST",
        ExternalStoreId = "NICEPAY",
        RefundAmount = SnapAmount.From(10000m),
        Reason = "Refund Trans",
        AdditionalInfo = NicepayRefundRequest.CancelType(full: true),
    };

    public static BankRefundRequest Bank() => new()
    {
        OriginalReferenceNo = "2023072115548417896116252",
        PartnerRefundNo = "OY!_202307211689928187",
        RefundAmount = SnapAmount.From(1000m),
        Reason = "customer request",
    };

    public static QrCancelRequest Cancel() => new()
    {
        OriginalPartnerReferenceNo = "2020102900000000000001",
        OriginalReferenceNo = "2020102977770000000009",
        Reason = "cancel reason",
        AdditionalInfo = QrCancelAdditionalInfo.Dynamic,
    };

    public static QrQueryRequest Query() => new()
    {
        OriginalReferenceNo = "NCPY20221017161458",
        OriginalPartnerReferenceNo = "IONPAYTEST08202106091121206416",
        MerchantId = "IONPAYTEST",
        ExternalStoreId = "NICEPAY",
    };
}
