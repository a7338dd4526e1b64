namespace RefundWorker.Snap;

/// <summary>SNAP service codes, the middle two digits of a <c>responseCode</c>; docs/protocol.md#service-codes.</summary>
public static class ServiceCodes
{
    public const int Token = 73;
    public const int QrGenerate = 47;
    public const int QrQuery = 51;
    public const int QrNotify = 52;
    public const int QrCancel = 77;
    public const int QrRefund = 78;
    public const int CvsInquiry = 24;
}
