using System.Text;
using System.Text.Json;

namespace RefundWorker.Snap.Tests;

/// <summary>
/// The body is serialized once; the bytes hashed are the bytes sent. These pin the encoder choice
/// (UnsafeRelaxedJsonEscaping, see SnapJson's remarks): + &lt; &gt; &amp; ' and non-ASCII are written literally.
/// </summary>
public sealed class SnapJsonTests
{
    private static readonly JsonSerializerOptions DefaultEncoderOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private const string AwkwardReason = "Refund A+B <promo> & 'Toko' — café 日本";

    private static NicepayRefundRequest Request(string? reason = AwkwardReason) => new()
    {
        OriginalReferenceNo = "NCPY20221017161458",
        OriginalPartnerReferenceNo = "IONPAYTEST08202106091121206416",
        PartnerRefundNo = "NCPY20221017161458",
        MerchantId = "IONPAYTEST",
        ExternalStoreId = "NICEPAY",
        RefundAmount = SnapAmount.From(10000m),
        Reason = reason,
        AdditionalInfo = NicepayRefundRequest.CancelType(full: true),
    };

    [Fact]
    public void Should_write_reserved_and_non_ascii_characters_literally_when_serializing()
    {
        var json = Encoding.UTF8.GetString(SnapJson.Serialize(Request()));

        Assert.Contains("\"reason\":\"Refund A+B <promo> & 'Toko' — café 日本\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_match_vector_bytes_when_serializing_the_vector_request()
    {
        // The NICEPAY vector's minified body is exactly what the model serializes to: same order, same form.
        var expected = TestDataMinified("transaction", 0);

        Assert.Equal(expected, Encoding.UTF8.GetString(SnapJson.Serialize(Request("Refund Trans"))));
    }

    [Fact]
    public void Should_sign_the_exact_bytes_when_reason_has_characters_default_encoder_escapes()
    {
        var body = SnapJson.Serialize(Request());
        var signature = SnapSignature.SignSymmetric("secret", "POST", "/api/v1.0/qr/qr-mpm-refund", "tok", body, "2024-12-31T10:11:40+07:00");

        // The receiver minifies what it received (a no-op for our compact bytes) and checks.
        var received = JsonMinifier.Minify(body);
        Assert.Equal(body, received);
        Assert.True(SnapSignature.VerifySymmetric("secret", "POST", "/api/v1.0/qr/qr-mpm-refund", "tok", received, "2024-12-31T10:11:40+07:00", signature));

        // And a receiver that re-serializes with a "literal" serializer (as Jackson or JSON.stringify do) gets
        // the same bytes back, which the default .NET encoder would not give.
        var reparsed = JsonSerializer.Serialize(JsonDocument.Parse(body).RootElement, SnapJson.Options);
        Assert.Equal(Encoding.UTF8.GetString(body), reparsed);
        var defaultEncoded = JsonSerializer.SerializeToUtf8Bytes(Request(), DefaultEncoderOptions);
        Assert.NotEqual(body, defaultEncoded);
    }

    [Fact]
    public void Should_still_escape_quotes_and_control_characters_when_serializing()
    {
        var json = Encoding.UTF8.GetString(SnapJson.Serialize(Request("say \"hi\"\n\\ok")));

        Assert.Contains("\"reason\":\"say \\\"hi\\\"\\n\\\\ok\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_omit_nulls_and_use_camel_case_when_serializing()
    {
        var json = Encoding.UTF8.GetString(SnapJson.Serialize(new QrQueryRequest { OriginalReferenceNo = "R1" }));

        Assert.Equal("{\"originalReferenceNo\":\"R1\",\"serviceCode\":\"47\"}", json);
    }

    [Fact]
    public void Should_leave_missing_mandatory_fields_null_when_deserializing()
    {
        // A missing mandatory field must reach SnapValidator, which names it, not fail inside the parser.
        var request = SnapJson.Deserialize<NicepayRefundRequest>("{\"partnerRefundNo\":\"R1\"}"u8);

        Assert.NotNull(request);
        Assert.Null(request.MerchantId);
        Assert.Contains(SnapValidator.Validate(request), e => e.Field == "merchantId" && e.Rule == "mandatory");
    }

    [Fact]
    public void Should_read_expires_in_when_provider_sends_a_number()
    {
        var token = SnapJson.Deserialize<TokenResponse>("{\"responseCode\":\"2007300\",\"responseMessage\":\"Successful\",\"accessToken\":\"t\",\"tokenType\":\"Bearer\",\"expiresIn\":900}"u8);

        Assert.Equal("900", token!.ExpiresIn);
    }

    [Fact]
    public void Should_write_empty_additional_info_when_serializing_token_request()
    {
        Assert.Equal("{\"grantType\":\"client_credentials\",\"additionalInfo\":{}}", Encoding.UTF8.GetString(SnapJson.Serialize(new TokenRequest())));
    }

    private static string TestDataMinified(string section, int index)
        => Support.TestData.Vector(section, index).GetProperty("minifiedBody").GetString()!;
}
