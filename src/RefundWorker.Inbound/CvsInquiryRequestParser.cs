using System.Text.Json;
using RefundWorker.Snap;

namespace RefundWorker.Inbound;

/// <summary>
/// Reads and checks the inquiry body against NICEPAY's request table (docs/protocol.md#cvs-inquiry-request). The first problem found is answered, in
/// the order of the table, so a partner fixing one field at a time converges.
/// </summary>
public static class CvsInquiryRequestParser
{
    /// <summary>Field name and maximum length, from NICEPAY's request table.</summary>
    private static readonly (string Name, int MaxLength, FieldKind Kind)[] Fields =
    [
        ("partnerServiceId", 4, FieldKind.Digits),
        ("customerNo", 8, FieldKind.Digits),
        ("payNo", 12, FieldKind.Digits),
        ("inquiryRequestId", 40, FieldKind.Printable),
        ("mitraCd", 4, FieldKind.Alphanumeric),
    ];

    private enum FieldKind
    {
        Digits,
        Alphanumeric,
        Printable,
    }

    /// <summary>Returns the request, or the SNAP refusal (service 24) describing the first invalid field.</summary>
    public static (CvsInquiryRequest? Request, SnapAnswer? Error) Parse(ReadOnlySpan<byte> body)
    {
        const int service = ServiceCodes.CvsInquiry;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException)
        {
            return (null, InboundErrors.BadRequest(service, "The body is not valid JSON"));
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, InboundErrors.BadRequest(service, "The body must be a JSON object"));
            }

            var values = new string[Fields.Length];
            for (var i = 0; i < Fields.Length; i++)
            {
                var (name, maxLength, kind) = Fields[i];
                if (!document.RootElement.TryGetProperty(name, out var element)
                    || element.ValueKind == JsonValueKind.Null
                    || (element.ValueKind == JsonValueKind.String && element.GetString()!.Length == 0))
                {
                    return (null, InboundErrors.InvalidMandatoryField(service, name));
                }

                if (element.ValueKind != JsonValueKind.String)
                {
                    return (null, InboundErrors.InvalidFieldFormat(service, name, "must be a string"));
                }

                var value = element.GetString()!;
                if (value.Length > maxLength)
                {
                    return (null, InboundErrors.InvalidFieldFormat(service, name, $"longer than {maxLength} characters"));
                }

                var formatError = kind switch
                {
                    FieldKind.Digits when !value.All(char.IsAsciiDigit) => "must contain digits only",
                    FieldKind.Alphanumeric when !value.All(char.IsAsciiLetterOrDigit) => "must contain letters and digits only",
                    FieldKind.Printable when !value.All(c => c is >= '!' and <= '~') => "must be printable ASCII without spaces",
                    _ => null,
                };
                if (formatError is not null)
                {
                    return (null, InboundErrors.InvalidFieldFormat(service, name, formatError));
                }

                values[i] = value;
            }

            var request = new CvsInquiryRequest(values[0], values[1], values[2], values[3], values[4]);

            // NICEPAY's sample: payNo 701589101110 = partnerServiceId 7015 + customerNo 89101110. A payNo that does not
            // carry its own prefix is an inconsistent request, refused before any lookup (400xx01, not 404xx12), so the
            // answer never reveals whether some other code exists.
            if (!string.Equals(request.PayNo, request.PartnerServiceId + request.CustomerNo, StringComparison.Ordinal))
            {
                return (null, InboundErrors.InvalidFieldFormat(service, "payNo", "must be partnerServiceId followed by customerNo"));
            }

            return (request, null);
        }
    }
}
