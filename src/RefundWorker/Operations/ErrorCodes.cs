namespace RefundWorker.Operations;

/// <summary>Stable machine codes for a provider's final refusal (docs/protocol.md#classification), carried in Failed events.</summary>
public static class ErrorCodes
{
    public const string RetriesExhausted = "retries_exhausted";

    public static string For(Snap.ResponseCode? code)
    {
        if (code is not { } c)
        {
            return "provider_error";
        }

        return (c.HttpStatus, c.CaseCode) switch
        {
            (400, 0) => "bad_request",
            (400, 1) => "invalid_field_format",
            (400, 2) => "invalid_mandatory_field",
            (401, 0) => "unauthorized",
            (403, 2) => "exceeds_limit",
            (403, 5) => "do_not_honor",
            (403, 14) => "insufficient_funds",
            (403, 15) => "transaction_not_permitted",
            (403, _) => "forbidden",
            (404, 1) => "transaction_not_found",
            (404, 13) => "invalid_amount",
            (404, _) => "not_found",
            (405, _) => "operation_not_allowed",
            _ => $"provider_refused_{c.HttpStatus}",
        };
    }
}
