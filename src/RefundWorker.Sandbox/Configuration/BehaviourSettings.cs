namespace RefundWorker.Sandbox;

/// <summary>
/// How one provider behaves where real providers differ (<c>Sandbox:Providers:&lt;name&gt;:Behaviour</c>, or
/// <c>PUT /_sandbox/behaviour/&lt;name&gt;</c> while running). The defaults are every profile's: idempotent on
/// partnerRefundNo, and no list of refunds in the status answer, as NICEPAY documents it.
/// </summary>
public sealed class BehaviourSettings
{
    /// <summary>The name SNAP gives the list of refunds in a status answer (its direct-debit status, service 55).</summary>
    public const string RefundHistoryField = "refundHistory";

    // Fields the status answer already carries: a list under one of these names would write the field twice.
    private static readonly HashSet<string> QueryFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "responseCode", "responseMessage", "originalReferenceNo", "originalPartnerReferenceNo", "originalExternalId",
        "serviceCode", "latestTransactionStatus", "transactionStatusDesc", "paidTime", "amount", "additionalInfo",
    };

    /// <summary>
    /// True (default): a repeated partnerRefundNo is answered per <c>DuplicateRefund</c> and never booked twice.
    /// False: the provider keeps no idempotency key, so a re-sent partnerRefundNo is refunded again, as a new
    /// ledger entry, as long as the remainder allows it.
    /// </summary>
    public bool Idempotent { get; set; } = true;

    /// <summary>
    /// Whether the status answer lists the payment's refunds (items <c>refundNo</c>, <c>partnerReferenceNo</c> =
    /// the merchant's partnerRefundNo, <c>refundAmount</c>, <c>refundStatus</c> "00", <c>refundDate</c>,
    /// <c>reason</c>). Default false: NICEPAY's query answer has no such list, only <c>latestTransactionStatus</c>.
    /// </summary>
    public bool ListRefundsInQuery { get; set; }

    /// <summary>Name of that list; default <c>refundHistory</c>.</summary>
    public string RefundListField { get; set; } = RefundHistoryField;

    internal BehaviourSettings Clone() => (BehaviourSettings)MemberwiseClone();

    internal string? Validate()
    {
        if (string.IsNullOrWhiteSpace(RefundListField))
        {
            return "RefundListField must not be empty";
        }

        return QueryFields.Contains(RefundListField.Trim())
            ? $"RefundListField '{RefundListField}' is already a field of the status answer"
            : null;
    }
}
