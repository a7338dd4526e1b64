using RefundWorker.Snap.Tests.Support;

namespace RefundWorker.Snap.Tests;

public sealed class SnapValidatorTests
{
    private static void AssertSingle(IReadOnlyList<SnapFieldError> errors, string field, string rule)
    {
        var error = Assert.Single(errors);
        Assert.Equal(field, error.Field);
        Assert.Equal(rule, error.Rule);
        Assert.StartsWith(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_accept_when_requests_match_the_seed_samples()
    {
        Assert.Empty(SnapValidator.Validate(Requests.Nicepay()));
        Assert.Empty(SnapValidator.Validate(Requests.Bank()));
        Assert.Empty(SnapValidator.Validate(Requests.Cancel()));
        Assert.Empty(SnapValidator.Validate(Requests.Query()));
    }

    [Fact]
    public void Should_name_each_missing_field_when_nicepay_request_is_empty()
    {
        var request = SnapJson.Deserialize<NicepayRefundRequest>("{}"u8)!;

        var errors = SnapValidator.Validate(request);

        Assert.Equal(
            ["originalReferenceNo", "originalPartnerReferenceNo", "partnerRefundNo", "merchantId", "refundAmount", "additionalInfo.cancelType"],
            errors.Select(e => e.Field));
        Assert.All(errors, e => Assert.Equal("mandatory", e.Rule));
    }

    [Theory]
    [InlineData("originalReferenceNo", 41, "maxLength:40")]
    [InlineData("originalPartnerReferenceNo", 41, "maxLength:40")]
    [InlineData("partnerRefundNo", 41, "maxLength:40")]
    [InlineData("merchantId", 11, "maxLength:10")]
    [InlineData("reason", 257, "maxLength:256")]
    public void Should_name_field_and_length_when_nicepay_field_is_too_long(string field, int length, string rule)
    {
        var value = new string('9', length);
        var request = field switch
        {
            "originalReferenceNo" => Requests.Nicepay() with { OriginalReferenceNo = value },
            "originalPartnerReferenceNo" => Requests.Nicepay() with { OriginalPartnerReferenceNo = value },
            "partnerRefundNo" => Requests.Nicepay() with { PartnerRefundNo = value },
            "merchantId" => Requests.Nicepay() with { MerchantId = value },
            _ => Requests.Nicepay() with { Reason = value },
        };

        AssertSingle(SnapValidator.Validate(request), field, rule);
    }

    [Fact]
    public void Should_accept_when_nicepay_fields_are_exactly_max_length()
    {
        var forty = new string('A', 40);
        var request = Requests.Nicepay() with { OriginalReferenceNo = forty, OriginalPartnerReferenceNo = forty, PartnerRefundNo = forty, MerchantId = new string('M', 10) };

        Assert.Empty(SnapValidator.Validate(request));
    }

    [Theory]
    [InlineData("10000", "amountFormat")]
    [InlineData("10000.0", "amountFormat")]
    [InlineData("10000.000", "amountFormat")]
    [InlineData("10,000.00", "amountFormat")]
    [InlineData("10.000,00", "amountFormat")]
    [InlineData("-10000.00", "amountFormat")]
    [InlineData("+10000.00", "amountFormat")]
    [InlineData("1e4", "amountFormat")]
    [InlineData(" 10000.00", "amountFormat")]
    [InlineData("010000.00", "amountFormat")]
    [InlineData(".50", "amountFormat")]
    [InlineData("0.00", "positive")]
    [InlineData("", "mandatory")]
    public void Should_name_amount_rule_when_value_is_not_two_decimals(string value, string rule)
    {
        var request = Requests.Nicepay() with { RefundAmount = new SnapAmount(value, "IDR") };

        AssertSingle(SnapValidator.Validate(request), "refundAmount.value", rule);
    }

    [Theory]
    [InlineData("10000.00")]
    [InlineData("0.50")]
    [InlineData("1.00")]
    [InlineData("999999999999.99")]
    public void Should_accept_when_amount_has_two_decimals(string value)
    {
        Assert.Empty(SnapValidator.ValidateAmount(new SnapAmount(value, "IDR"), "refundAmount"));
    }

    [Theory]
    [InlineData("USD", "currency")]
    [InlineData("idr", "currency")]
    [InlineData("", "mandatory")]
    public void Should_reject_when_currency_is_not_idr(string currency, string rule)
    {
        var request = Requests.Nicepay() with { RefundAmount = new SnapAmount("10000.00", currency) };

        AssertSingle(SnapValidator.Validate(request), "refundAmount.currency", rule);
    }

    [Theory]
    [InlineData(null, "mandatory")]
    [InlineData("3", "oneOf:1|2")]
    public void Should_name_cancel_type_when_missing_or_unknown(string? cancelType, string rule)
    {
        var info = cancelType is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["cancelType"] = cancelType };

        AssertSingle(SnapValidator.Validate(Requests.Nicepay() with { AdditionalInfo = info }), "additionalInfo.cancelType", rule);
    }

    [Fact]
    public void Should_accept_integer_amount_when_bank_profile_uses_integer_form()
    {
        var request = Requests.Bank() with { RefundAmount = new SnapAmount("1000", "IDR") };

        Assert.Empty(SnapValidator.Validate(request, AmountFormat.Integer));
        AssertSingle(SnapValidator.Validate(request), "refundAmount.value", "amountFormat");
        AssertSingle(SnapValidator.Validate(Requests.Bank(), AmountFormat.Integer), "refundAmount.value", "amountFormat");
    }

    [Fact]
    public void Should_enforce_bank_table_lengths_when_validating_bank_refund()
    {
        AssertSingle(SnapValidator.Validate(Requests.Bank() with { OriginalReferenceNo = new string('1', 33) }), "originalReferenceNo", "maxLength:32");
        AssertSingle(SnapValidator.Validate(Requests.Bank() with { PartnerRefundNo = new string('1', 51) }), "partnerRefundNo", "maxLength:50");
        AssertSingle(SnapValidator.Validate(Requests.Bank() with { RefundAmount = SnapAmount.From(12345678.00m) }), "refundAmount.value", "maxLength:10");
        AssertSingle(SnapValidator.Validate(Requests.Bank() with { PartnerRefundNo = "" }), "partnerRefundNo", "mandatory");
    }

    [Fact]
    public void Should_require_one_original_reference_when_bank_refund_names_none()
    {
        var request = Requests.Bank() with { OriginalReferenceNo = null };

        var error = Assert.Single(SnapValidator.Validate(request));

        Assert.StartsWith("oneOfMandatory:", error.Rule, StringComparison.Ordinal);
        Assert.Empty(SnapValidator.Validate(request with { OriginalExternalId = "123" }));
    }

    [Fact]
    public void Should_name_fields_when_cancel_breaks_ifortepay_table()
    {
        AssertSingle(SnapValidator.Validate(Requests.Cancel() with { Reason = "" }), "reason", "mandatory");
        AssertSingle(SnapValidator.Validate(Requests.Cancel() with { OriginalReferenceNo = new string('1', 65) }), "originalReferenceNo", "maxLength:64");
        AssertSingle(SnapValidator.Validate(Requests.Cancel() with { AdditionalInfo = new QrCancelAdditionalInfo("STATIC") }), "additionalInfo.type", "oneOf:DYNAMIC");
        AssertSingle(SnapValidator.Validate(Requests.Cancel() with { AdditionalInfo = null! }), "additionalInfo", "mandatory");
    }

    [Fact]
    public void Should_name_fields_when_query_lacks_reference_or_service_code()
    {
        Assert.StartsWith("oneOfMandatory:", Assert.Single(SnapValidator.Validate(new QrQueryRequest())).Rule, StringComparison.Ordinal);
        AssertSingle(SnapValidator.Validate(Requests.Query() with { ServiceCode = "4x" }), "serviceCode", "numeric");
        AssertSingle(SnapValidator.Validate(Requests.Query() with { ServiceCode = "" }), "serviceCode", "mandatory");
    }

    [Theory]
    [InlineData("41807553358950093184162180797837", 36, null)]
    [InlineData("1234567890123456789012345678901234567", 36, "maxLength:36")]
    [InlineData("1234567890123456789012345678901234567", 40, null)]
    [InlineData("EXID202402111402271707638098", 40, "numeric")]
    [InlineData("", 40, "mandatory")]
    [InlineData(null, 40, "mandatory")]
    public void Should_check_digits_and_length_when_validating_external_id(string? id, int max, string? rule)
    {
        var errors = SnapValidator.ValidateExternalId(id, max);

        if (rule is null)
        {
            Assert.Empty(errors);
        }
        else
        {
            AssertSingle(errors, "X-EXTERNAL-ID", rule);
        }
    }

    [Theory]
    [InlineData(10000, AmountFormat.TwoDecimals, "10000.00")]
    [InlineData(10000.5, AmountFormat.TwoDecimals, "10000.50")]
    [InlineData(0.01, AmountFormat.TwoDecimals, "0.01")]
    [InlineData(1000, AmountFormat.Integer, "1000")]
    public void Should_format_decimal_when_building_amount(double amount, AmountFormat format, string expected)
    {
        var snap = SnapAmount.From((decimal)amount, format: format);

        Assert.Equal(expected, snap.Value);
        Assert.Equal("IDR", snap.Currency);
        Assert.Equal((decimal)amount, snap.ToDecimal());
    }

    [Fact]
    public void Should_refuse_to_round_money_when_amount_has_more_precision_than_format()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SnapAmount.From(10.005m));
        Assert.Throws<ArgumentOutOfRangeException>(() => SnapAmount.From(10.5m, format: AmountFormat.Integer));
    }
}
