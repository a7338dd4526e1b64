using RefundWorker.Sandbox.Tests.Infrastructure;

namespace RefundWorker.Sandbox.Tests;

/// <summary>What every transaction call is checked for before the ledger is touched (docs/protocol.md: headers, signature, codes).</summary>
public sealed class TransactionAuthTests
{
    [Fact]
    public async Task Should_answer_4017801_when_the_bearer_token_is_unknown()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()), new CallOptions { Token = "not-a-token" });

        Assert.Equal(401, answer.HttpStatus);
        Assert.Equal("4017801", answer.ResponseCode);
        Assert.Empty(sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
    }

    [Fact]
    public async Task Should_answer_4017801_when_the_authorization_header_is_missing()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()), new CallOptions { Omit = ["Authorization"] });

        Assert.Equal("4017801", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4017801_when_the_token_was_issued_by_another_provider()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var ifortepayToken = await sb.Client("ifortepay").AccessTokenAsync();

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()), new CallOptions { Token = ifortepayToken });

        Assert.Equal("4017801", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4017800_when_the_hmac_is_made_with_another_secret()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()), new CallOptions { Secret = "wrong-secret" });

        Assert.Equal(401, answer.HttpStatus);
        Assert.Equal("4017800", answer.ResponseCode);
        Assert.Empty(sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
    }

    [Fact]
    public async Task Should_answer_4017800_when_nicepay_requests_are_signed_over_the_path_with_the_nicepay_prefix()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()), new CallOptions { SignedPath = "/nicepay/api/v1.0/qr/qr-mpm-refund" });

        Assert.Equal("4017800", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4017800_when_the_body_sent_is_not_the_body_signed()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var refundNo = TestSandbox.NewRefundNo();
        var signed = Requests.NicepayRefund(original, refundNo, "1000.00").ToJsonString();

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "9000.00"), new CallOptions { SignedBody = signed });

        Assert.Equal("4017800", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_accept_a_pretty_printed_body_when_its_minified_form_was_signed()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var compact = Requests.NicepayRefund(original, TestSandbox.NewRefundNo()).With("reason", "Refund A&B — toko \"x\"").ToJsonString();
        var pretty = System.Text.Json.Nodes.JsonNode.Parse(compact)!.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, pretty, new CallOptions { SignedBody = compact });

        Assert.NotEqual(compact, pretty);
        Assert.Equal("2007800", answer.ResponseCode);
    }

    [Theory]
    [InlineData("X-TIMESTAMP")]
    [InlineData("X-SIGNATURE")]
    [InlineData("X-PARTNER-ID")]
    [InlineData("X-EXTERNAL-ID")]
    [InlineData("CHANNEL-ID")]
    public async Task Should_answer_4007802_when_a_mandatory_header_is_missing(string header)
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()), new CallOptions { Omit = [header] });

        Assert.Equal(400, answer.HttpStatus);
        Assert.Equal("4007802", answer.ResponseCode);
        Assert.Equal($"Invalid Mandatory Field {{{header}}}", answer.Get("responseMessage"));
    }

    [Fact]
    public async Task Should_answer_4007802_when_the_bank_refund_has_no_origin_header()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("bnc", 10_000m);

        var withOrigin = await sb.Client("bnc").PostAsync(SandboxOperation.Refund, Requests.BncRefund(original, TestSandbox.NewRefundNo()));
        var without = await sb.Client("bnc").PostAsync(SandboxOperation.Refund, Requests.BncRefund(original, TestSandbox.NewRefundNo()), new CallOptions { Omit = ["ORIGIN"] });

        Assert.Equal("2007800", withOrigin.ResponseCode);
        Assert.Equal("4007802", without.ResponseCode);
        Assert.Equal("Invalid Mandatory Field {ORIGIN}", without.Get("responseMessage"));
    }

    [Fact]
    public async Task Should_answer_4017800_when_the_partner_id_is_not_the_token_owner()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()), new CallOptions { PartnerId = "OTHERMERCHANT" });

        Assert.Equal("4017800", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4017800_when_the_transaction_timestamp_is_out_of_range()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var stale = TestSigner.Timestamp(sb.Clock.GetUtcNow().AddMinutes(-6));

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()), new CallOptions { Timestamp = stale });

        Assert.Equal("4017800", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_accept_a_stale_transaction_timestamp_when_the_check_is_switched_off()
    {
        await using var sb = await TestSandbox.StartAsync(s => s.Providers["nicepay"].CheckTransactionTimestamp = false);
        var original = sb.AddOriginal("nicepay", 10_000m);
        var stale = TestSigner.Timestamp(sb.Clock.GetUtcNow().AddHours(-3));

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()), new CallOptions { Timestamp = stale });

        Assert.Equal("2007800", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4007801_when_the_timestamp_has_no_offset()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()), new CallOptions { Timestamp = "2024-12-31T10:11:40" });

        Assert.Equal("4007801", answer.ResponseCode);
    }

    [Theory]
    [InlineData("nicepay", 41, "1")]
    [InlineData("bnc", 37, "1")]
    [InlineData("bnc", 20, "A")]
    [InlineData("ifortepay", 37, "1")]
    public async Task Should_answer_400xx01_when_the_external_id_is_too_long_or_not_numeric(string provider, int length, string character)
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal(provider, 10_000m);
        var body = provider switch
        {
            "nicepay" => Requests.NicepayRefund(original, TestSandbox.NewRefundNo()),
            "bnc" => Requests.BncRefund(original, TestSandbox.NewRefundNo()),
            _ => Requests.Cancel(original),
        };
        var operation = provider == "ifortepay" ? SandboxOperation.Cancel : SandboxOperation.Refund;
        var service = provider == "ifortepay" ? "77" : "78";

        var answer = await sb.Client(provider).PostAsync(operation, body, new CallOptions { ExternalId = string.Concat(Enumerable.Repeat(character, length)) });

        Assert.Equal($"400{service}01", answer.ResponseCode);
        Assert.Equal("Invalid Field Format {X-EXTERNAL-ID}", answer.Get("responseMessage"));
    }

    [Fact]
    public async Task Should_accept_a_non_numeric_external_id_when_the_provider_is_nicepay()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()), new CallOptions { ExternalId = "EXID202402111402271707638098" });

        Assert.Equal("2007800", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4097800_and_book_nothing_when_the_external_id_is_reused_the_same_day()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var externalId = SnapTestClient.NewExternalId();

        var first = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()), new CallOptions { ExternalId = externalId });
        var second = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()), new CallOptions { ExternalId = externalId });

        Assert.Equal("2007800", first.ResponseCode);
        Assert.Equal(409, second.HttpStatus);
        Assert.Equal("4097800", second.ResponseCode);
        Assert.Single(sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
    }

    [Fact]
    public async Task Should_accept_an_external_id_again_when_a_new_jakarta_day_has_begun()
    {
        // 23:59:00 in Jakarta (16:59 UTC): two minutes later it is the next day there.
        await using var sb = await TestSandbox.StartAsync(now: new DateTimeOffset(2025, 3, 10, 16, 59, 0, TimeSpan.Zero));
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        var externalId = SnapTestClient.NewExternalId();

        var first = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original), new CallOptions { ExternalId = externalId });
        sb.Clock.Advance(TimeSpan.FromMinutes(2));
        var nextDay = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original), new CallOptions { ExternalId = externalId });
        var againSameDay = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original), new CallOptions { ExternalId = externalId });

        Assert.Equal("2005100", first.ResponseCode);
        Assert.Equal("2005100", nextDay.ResponseCode);
        Assert.Equal("4095100", againSameDay.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4007800_when_the_signed_body_is_not_json()
    {
        await using var sb = await TestSandbox.StartAsync();

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, "refund-please");

        Assert.Equal("4007800", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_the_response_with_a_jakarta_x_timestamp_header()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original));

        var timestamp = Assert.Single(answer.Headers.GetValues("X-TIMESTAMP"));
        Assert.EndsWith("+07:00", timestamp, StringComparison.Ordinal);
        Assert.Equal("application/json", answer.ContentType);
    }
}
