using Microsoft.EntityFrameworkCore;
using RefundWorker.Contracts;
using RefundWorker.Persistence;

namespace RefundWorker.Inbound;

/// <summary>
/// Keeps the payment codes the order system publishes, so NICEPAY's inquiries are answered even while the order
/// system is down. Both operations are idempotent single statements: a redelivered message changes nothing, and
/// two replicas consuming at once cannot interleave badly.
/// </summary>
public sealed class CvsPaymentCodeStore(DbContext db, TimeProvider time)
{
    /// <summary>
    /// Inserts or updates the code. <paramref name="sentAt"/> orders versions: a redelivered older message never
    /// overwrites a newer one (last writer by send time, not by arrival).
    /// </summary>
    public async Task UpsertIssuedAsync(CvsPaymentCodeIssued message, DateTimeOffset sentAt, CancellationToken ct)
    {
        Validate(message);
        var now = time.GetUtcNow();
        var sent = sentAt.ToUniversalTime();
        var expiresAt = message.ExpiresAt.ToUniversalTime();
        await RefusedDataIsInvalidAsync($"CvsPaymentCodeIssued for payNo '{message.PayNo}'", () => db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO cvs_payment_codes
              (pay_no, partner_service_id, customer_no, pay_no_name, goods_name, pay_no_phone, pay_no_email,
               amount, currency, partner_reference_no, mitra_cd, expires_at, issued_message_sent_at, updated_at)
            VALUES
              ({message.PayNo}, {message.PartnerServiceId}, {message.CustomerNo}, {message.PayNoName}, {message.GoodsName},
               {message.PayNoPhone}, {message.PayNoEmail}, {message.Amount}, {message.Currency}, {message.PartnerReferenceNo},
               {message.MitraCd}, {expiresAt}, {sent}, {now})
            ON CONFLICT (pay_no) DO UPDATE SET
              partner_service_id = EXCLUDED.partner_service_id,
              customer_no = EXCLUDED.customer_no,
              pay_no_name = EXCLUDED.pay_no_name,
              goods_name = EXCLUDED.goods_name,
              pay_no_phone = EXCLUDED.pay_no_phone,
              pay_no_email = EXCLUDED.pay_no_email,
              amount = EXCLUDED.amount,
              currency = EXCLUDED.currency,
              partner_reference_no = EXCLUDED.partner_reference_no,
              mitra_cd = EXCLUDED.mitra_cd,
              expires_at = EXCLUDED.expires_at,
              issued_message_sent_at = EXCLUDED.issued_message_sent_at,
              updated_at = EXCLUDED.updated_at
            WHERE cvs_payment_codes.issued_message_sent_at <= EXCLUDED.issued_message_sent_at
            """,
            ct));
    }

    /// <summary>
    /// Records that the code was paid or withdrawn. The first close wins and is final; it may arrive before the
    /// code's Issued message and still applies once that arrives.
    /// </summary>
    public async Task CloseAsync(CvsPaymentCodeClosed message, DateTimeOffset sentAt, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(message.PayNo) || message.PayNo.Length > 12)
        {
            throw new InvalidCvsPaymentCodeException($"CvsPaymentCodeClosed.PayNo must be 1 to 12 characters (got {message.PayNo?.Length ?? 0}).");
        }

        if (!IsStorable(message.PayNo))
        {
            throw new InvalidCvsPaymentCodeException("CvsPaymentCodeClosed.PayNo contains a control character or broken UTF-16.");
        }

        // The reason is only shown back in the inquiry's refusal: kept, cleaned of what PostgreSQL refuses, bounded.
        var reason = string.IsNullOrWhiteSpace(message.Reason) ? "closed" : StorageText.Clean(message.Reason.Trim(), 100);

        var closedAt = sentAt.ToUniversalTime();
        await RefusedDataIsInvalidAsync($"CvsPaymentCodeClosed for payNo '{message.PayNo}'", () => db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO cvs_payment_code_closures (pay_no, reason, closed_at)
            VALUES ({message.PayNo}, {reason}, {closedAt})
            ON CONFLICT (pay_no) DO NOTHING
            """,
            ct));
    }

    /// <summary>
    /// A message PostgreSQL refuses (a rule the validation does not know) is bad input too: it faults at once with
    /// PostgreSQL's reason instead of being retried for minutes. Connection failures propagate and are retried.
    /// </summary>
    private static async Task RefusedDataIsInvalidAsync(string what, Func<Task<int>> write)
    {
        try
        {
            await write();
        }
        catch (Exception e) when (PostgresErrors.IsDataError(e))
        {
            throw new InvalidCvsPaymentCodeException($"{StorageText.Clean(what, 200)} could not be stored: PostgreSQL refused it ({PostgresErrors.Describe(e)}).", e);
        }
    }

    private static bool IsStorable(string value) => StorageText.IndexOfControlCharacter(value) < 0 && StorageText.IndexOfUnpairedSurrogate(value) < 0;

    /// <summary>
    /// The inquiry answers these fields verbatim and NICEPAY fixes their sizes; a message that breaks them is a
    /// defect in the order system and must reach the error queue with a clear reason, not a truncated answer.
    /// </summary>
    private static void Validate(CvsPaymentCodeIssued m)
    {
        var errors = new List<string>();
        Check(m.PartnerServiceId, nameof(m.PartnerServiceId), 4, digits: true);
        Check(m.CustomerNo, nameof(m.CustomerNo), 8, digits: true);
        Check(m.PayNo, nameof(m.PayNo), 12, digits: true);
        Check(m.PayNoName, nameof(m.PayNoName), 100);
        Check(m.GoodsName, nameof(m.GoodsName), 200);
        Check(m.PartnerReferenceNo, nameof(m.PartnerReferenceNo), 40);
        CheckOptional(m.PayNoPhone, nameof(m.PayNoPhone), 15);
        CheckOptional(m.PayNoEmail, nameof(m.PayNoEmail), 100);
        CheckOptional(m.MitraCd, nameof(m.MitraCd), 4);
        if (m.PayNo != m.PartnerServiceId + m.CustomerNo)
        {
            errors.Add("PayNo must be PartnerServiceId followed by CustomerNo");
        }

        // totalAmount.value is at most 12 characters for NICEPAY ("999999999.99"), positive, with two decimals.
        if (m.Amount <= 0 || m.Amount > 999_999_999.99m || decimal.Round(m.Amount, 2) != m.Amount)
        {
            errors.Add("Amount must be positive, below 1,000,000,000 and have at most two decimals");
        }

        if (m.Currency is not { Length: 3 } || !m.Currency.All(char.IsAsciiLetterUpper))
        {
            errors.Add("Currency must be a three-letter ISO 4217 code such as IDR");
        }

        if (errors.Count > 0)
        {
            throw new InvalidCvsPaymentCodeException($"CvsPaymentCodeIssued for payNo '{m.PayNo}' is invalid: {string.Join("; ", errors)}.");
        }

        void Check(string? value, string name, int max, bool digits = false)
        {
            if (string.IsNullOrEmpty(value) || value.Length > max)
            {
                errors.Add($"{name} must be 1 to {max} characters");
            }
            else if (digits && !value.All(char.IsAsciiDigit))
            {
                errors.Add($"{name} must contain digits only");
            }
            else
            {
                CheckCharacters(value, name);
            }
        }

        void CheckOptional(string? value, string name, int max)
        {
            if (value is not null && value.Length > max)
            {
                errors.Add($"{name} must be at most {max} characters");
            }
            else if (value is not null)
            {
                CheckCharacters(value, name);
            }
        }

        // The inquiry answers these verbatim (and PostgreSQL refuses NUL): a control character is a defect upstream.
        void CheckCharacters(string value, string name)
        {
            if (StorageText.IndexOfControlCharacter(value) is var i and >= 0)
            {
                errors.Add($"{name} must not contain control characters (U+{(int)value[i]:X4} at position {i + 1})");
            }
            else if (StorageText.IndexOfUnpairedSurrogate(value) >= 0)
            {
                errors.Add($"{name} must be valid Unicode (it contains an unpaired UTF-16 surrogate)");
            }
        }
    }
}

/// <summary>A payment-code message the inquiry could not answer faithfully. Thrown so the message faults visibly.</summary>
public sealed class InvalidCvsPaymentCodeException : Exception
{
    public InvalidCvsPaymentCodeException()
    {
    }

    public InvalidCvsPaymentCodeException(string message)
        : base(message)
    {
    }

    public InvalidCvsPaymentCodeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
