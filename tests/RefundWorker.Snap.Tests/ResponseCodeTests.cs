namespace RefundWorker.Snap.Tests;

public sealed class ResponseCodeTests
{
    [Theory]
    [InlineData("2007800", 200, 78, 0)]
    [InlineData("4017301", 401, 73, 1)]
    [InlineData("5047700", 504, 77, 0)]
    [InlineData(" 4045118 ", 404, 51, 18)]
    public void Should_split_into_status_service_and_case_when_parsing(string value, int http, int service, int @case)
    {
        Assert.True(ResponseCode.TryParse(value, out var code));
        Assert.Equal(new ResponseCode(http, service, @case), code);
        Assert.Equal(value.Trim(), code.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("200780")]
    [InlineData("20078000")]
    [InlineData("20078O0")]
    [InlineData("-200780")]
    [InlineData("0007800")]
    [InlineData("２００７８００")]
    public void Should_refuse_when_code_is_not_seven_ascii_digits(string? value)
    {
        Assert.False(ResponseCode.TryParse(value, out _));
        if (value is not null)
        {
            Assert.Throws<FormatException>(() => ResponseCode.Parse(value));
        }
    }

    [Fact]
    public void Should_pad_parts_when_formatting()
    {
        Assert.Equal("4030506", ResponseCode.Of(403, 5, 6).ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => ResponseCode.Of(200, 100, 0));
    }
}

/// <summary>Every row of docs/protocol.md#classification, for the refund (78), cancel (77) and query (51) services.</summary>
public sealed class ResponseClassifierTests
{
    [Theory]
    [InlineData("2007800", OutcomeClass.Success)]
    [InlineData("2007700", OutcomeClass.Success)]
    [InlineData("2025100", OutcomeClass.Pending)]
    [InlineData("2027800", OutcomeClass.Pending)]
    [InlineData("4007800", OutcomeClass.Permanent)]
    [InlineData("4007801", OutcomeClass.Permanent)]
    [InlineData("4007702", OutcomeClass.Permanent)]
    [InlineData("4017800", OutcomeClass.Permanent)]
    [InlineData("4017801", OutcomeClass.RefreshToken)]
    [InlineData("4017703", OutcomeClass.RefreshToken)]
    [InlineData("4037814", OutcomeClass.Permanent)]
    [InlineData("4037815", OutcomeClass.Permanent)]
    [InlineData("4037802", OutcomeClass.Permanent)]
    [InlineData("4037805", OutcomeClass.Permanent)]
    [InlineData("4037806", OutcomeClass.Retryable)]
    [InlineData("4047801", OutcomeClass.Permanent)]
    [InlineData("4047813", OutcomeClass.Permanent)]
    [InlineData("4047818", OutcomeClass.OutcomeUnknown)]
    [InlineData("4057801", OutcomeClass.Retryable)]
    [InlineData("4097800", OutcomeClass.OutcomeUnknown)]
    [InlineData("4097801", OutcomeClass.OutcomeUnknown)]
    [InlineData("4297800", OutcomeClass.Retryable)]
    [InlineData("5007800", OutcomeClass.OutcomeUnknown)]
    [InlineData("5007801", OutcomeClass.OutcomeUnknown)]
    [InlineData("5007802", OutcomeClass.OutcomeUnknown)]
    [InlineData("5047800", OutcomeClass.OutcomeUnknown)]
    public void Should_classify_as_spec_table_when_code_is_known(string code, OutcomeClass expected)
    {
        Assert.Equal(expected, ResponseClassifier.Classify(ResponseCode.Parse(code)));
        Assert.Equal(expected, ResponseClassifier.ClassifyHttp(200, code));
    }

    [Theory]
    [InlineData(TransportFailure.ConnectFailed, OutcomeClass.Retryable)]
    [InlineData(TransportFailure.Timeout, OutcomeClass.OutcomeUnknown)]
    [InlineData(TransportFailure.ResetAfterSend, OutcomeClass.OutcomeUnknown)]
    [InlineData(TransportFailure.InvalidResponse, OutcomeClass.OutcomeUnknown)]
    public void Should_classify_transport_failures_when_no_answer_was_read(TransportFailure failure, OutcomeClass expected)
    {
        Assert.Equal(expected, ResponseClassifier.ClassifyTransport(failure));
    }

    [Theory]
    [InlineData(200, OutcomeClass.OutcomeUnknown)]
    [InlineData(202, OutcomeClass.Pending)]
    [InlineData(400, OutcomeClass.Permanent)]
    [InlineData(401, OutcomeClass.RefreshToken)]
    [InlineData(404, OutcomeClass.Permanent)]
    [InlineData(409, OutcomeClass.OutcomeUnknown)]
    [InlineData(429, OutcomeClass.Retryable)]
    [InlineData(500, OutcomeClass.OutcomeUnknown)]
    [InlineData(502, OutcomeClass.OutcomeUnknown)]
    [InlineData(503, OutcomeClass.OutcomeUnknown)]
    [InlineData(504, OutcomeClass.OutcomeUnknown)]
    public void Should_fall_back_on_http_status_when_body_has_no_code(int status, OutcomeClass expected)
    {
        Assert.Equal(expected, ResponseClassifier.ClassifyHttp(status, null));
        Assert.Equal(expected, ResponseClassifier.ClassifyHttp(status, "<html>"));
    }

    [Fact]
    public void Should_trust_response_code_over_http_status_when_both_present()
    {
        Assert.Equal(OutcomeClass.OutcomeUnknown, ResponseClassifier.ClassifyHttp(200, "5007800"));
        Assert.Equal(OutcomeClass.Success, ResponseClassifier.ClassifyHttp(500, "2007800"));
    }

    [Fact]
    public void Should_expose_spec_service_codes()
    {
        Assert.Equal((73, 47, 51, 52, 77, 78), (ServiceCodes.Token, ServiceCodes.QrGenerate, ServiceCodes.QrQuery, ServiceCodes.QrNotify, ServiceCodes.QrCancel, ServiceCodes.QrRefund));
    }
}
