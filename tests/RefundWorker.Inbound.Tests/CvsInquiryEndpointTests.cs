using System.Net;
using System.Text.Json;
using Npgsql;
using RefundWorker.Contracts;

namespace RefundWorker.Inbound.Tests;

/// <summary>
/// <c>POST /api/v1.0/cvs/inquiry</c> over real HTTP: payment codes arrive as CvsPaymentCodeIssued on RabbitMQ, NICEPAY
/// takes a token and asks. The clock does not move in this class (see <see cref="InboundClockTests"/>).
/// </summary>
[Collection(InboundCollection.Name)]
public sealed class CvsInquiryEndpointTests(InboundHost host) : IClassFixture<InboundHost>
{
    [Fact]
    public async Task Should_answer_payNoData_exactly_as_the_seed_when_the_code_was_issued_on_the_bus()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();
        await host.IssueAsync(code);
        var caller = host.Symmetric;
        var body = InquiryBody.For(code.PayNo);

        var result = await caller.SendAsync(caller.Inquiry(await caller.TokenAsync(), body));

        Assert.Equal(HttpStatusCode.OK, result.Status);
        var expiry = NicepayCaller.Timestamp(code.ExpiresAt);
        var expected =
            "{\"responseCode\":\"2000000\",\"responseMessage\":\"Successful\",\"payNoData\":{"
            + $"\"partnerServiceId\":\"7015\",\"customerNo\":\"{code.CustomerNo}\",\"payNo\":\"{code.PayNo}\","
            + "\"payNoName\":\"John Test\",\"goodsName\":\"Pembelian John Test\",\"payNoPhone\":\"087771122333\","
            + $"\"payNoEmail\":\"jhon@test.com\",\"inquiryRequestId\":\"{body.InquiryRequestId}\","
            + "\"totalAmount\":{\"value\":\"10000.00\",\"currency\":\"IDR\"},\"partnerReferenceNo\":\"abcdefgh1234\","
            + $"\"mitraCd\":\"ALMA\",\"payNoExpiredDateTime\":\"{expiry}\"}}}}";
        Assert.Equal(expected, result.Body);
        Assert.Matches(@"\+07:00$", expiry);
    }

    [Fact]
    public async Task Should_publish_one_CvsInquiryAnswered_through_the_outbox_when_a_new_inquiry_is_answered()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).WithAmount(125000.5m).Build();
        await host.IssueAsync(code);
        var caller = host.Symmetric;
        var body = InquiryBody.For(code.PayNo);

        var result = await caller.SendAsync(caller.Inquiry(await caller.TokenAsync(), body));

        Assert.Equal("2000000", result.ResponseCode);
        Assert.Equal("125000.50", result.Json.GetProperty("payNoData").GetProperty("totalAmount").GetProperty("value").GetString());
        Assert.Equal(1, await host.AnsweredEventsAsync(body.InquiryRequestId));
        var answered = JsonSerializer.Deserialize<CvsInquiryAnswered>(await host.AnsweredEventPayloadAsync(body.InquiryRequestId), JsonSerializerOptions.Web)!;
        Assert.Equal("2000000", answered.ResponseCode);
        Assert.Equal(code.PayNo, answered.PayNo);
        Assert.Equal(125000.5m, answered.Amount);
        Assert.Equal("abcdefgh1234", answered.PartnerReferenceNo);
        var delivered = await host.OrderSystem.WaitForAnsweredAsync(body.InquiryRequestId);
        Assert.Equal("2000000", delivered.ResponseCode);
        Assert.Equal(code.PayNo, delivered.PayNo);
        Assert.Equal(125000.5m, delivered.Amount);
        Assert.Equal("IDR", delivered.Currency);
        Assert.Equal("ALMA", delivered.MitraCd);
    }

    [Theory]
    [InlineData(Mode.Symmetric)]
    [InlineData(Mode.ClientIdTimestamp)]
    [InlineData(Mode.AsymmetricRequest)]
    public async Task Should_answer_when_signed_in_the_partners_configured_mode(Mode mode)
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();
        await host.IssueAsync(code);
        var caller = Caller(mode);

        var result = await caller.SendAsync(caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(code.PayNo)));

        Assert.Equal("2000000", result.ResponseCode);
    }

    [Theory]
    [InlineData(Mode.Symmetric)]
    [InlineData(Mode.AsymmetricRequest)]
    public async Task Should_refuse_with_4012400_when_the_body_was_changed_after_signing(Mode mode)
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();
        await host.IssueAsync(code);
        var caller = Caller(mode);
        var call = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(code.PayNo));
        call.Signature = caller.Sign(call);
        call.SentBody = call.SentBody.Replace("ALMA", "INDM", StringComparison.Ordinal);

        var result = await caller.SendAsync(call);

        Assert.Equal(HttpStatusCode.Unauthorized, result.Status);
        Assert.Equal("4012400", result.ResponseCode);
        Assert.Equal("Unauthorized. Signature invalid", result.ResponseMessage);
    }

    [Theory]
    [InlineData(Mode.Symmetric)]
    [InlineData(Mode.ClientIdTimestamp)]
    [InlineData(Mode.AsymmetricRequest)]
    public async Task Should_refuse_with_4012400_when_the_signature_is_not_the_partners(Mode mode)
    {
        var caller = Caller(mode);
        var call = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(Ids.PayNo()));
        call.Signature = mode == Mode.Symmetric
            ? Convert.ToBase64String(System.Security.Cryptography.HMACSHA512.HashData("another-secret"u8, "x"u8))
            : NicepayCaller.SignRsa(host.StrangerKey, $"{caller.ClientId}|{call.Timestamp}");

        var result = await caller.SendAsync(call);

        Assert.Equal("4012400", result.ResponseCode);
    }

    [Fact]
    public async Task Should_refuse_with_4012400_when_a_symmetric_signature_was_made_for_another_token()
    {
        var caller = host.Symmetric;
        var call = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(Ids.PayNo()));
        var otherToken = await caller.TokenAsync();
        call.Signature = caller.Sign(call);
        call.Token = otherToken;

        var result = await caller.SendAsync(call);

        Assert.Equal("4012400", result.ResponseCode);
    }

    [Fact]
    public async Task Should_refuse_with_4012400_when_X_PARTNER_ID_is_not_the_tokens_partner()
    {
        var caller = host.Symmetric;
        var call = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(Ids.PayNo()));
        call.PartnerId = InboundHost.RsaClientId;

        var result = await caller.SendAsync(call);

        Assert.Equal("4012400", result.ResponseCode);
        Assert.Contains("X-PARTNER-ID", result.ResponseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refuse_with_4012401_when_the_token_is_unknown()
    {
        var caller = host.Symmetric;

        var result = await caller.SendAsync(caller.Inquiry("bm90LWEtdG9rZW4tdGhhdC13ZS1pc3N1ZWQ", InquiryBody.For(Ids.PayNo())));

        Assert.Equal(HttpStatusCode.Unauthorized, result.Status);
        Assert.Equal("4012401", result.ResponseCode);
        Assert.Equal("Invalid Token (B2B)", result.ResponseMessage);
    }

    [Fact]
    public async Task Should_refuse_with_4012401_when_Authorization_is_missing()
    {
        var caller = host.Symmetric;
        var call = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(Ids.PayNo()));
        call.Omit.Add("Authorization");

        var result = await caller.SendAsync(call);

        Assert.Equal("4012401", result.ResponseCode);
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public async Task Should_refuse_with_4012400_when_X_TIMESTAMP_is_outside_the_skew_window(int offsetSeconds)
    {
        var caller = host.Symmetric;
        var call = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(Ids.PayNo()));
        call.Timestamp = NicepayCaller.Timestamp(host.Clock.GetUtcNow().AddSeconds(offsetSeconds));

        var result = await caller.SendAsync(call);

        Assert.Equal("4012400", result.ResponseCode);
        Assert.Contains("X-TIMESTAMP", result.ResponseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refuse_with_4002401_when_X_TIMESTAMP_is_malformed()
    {
        var caller = host.Symmetric;
        var call = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(Ids.PayNo()));
        call.Timestamp = "2024 01 22t15 00 01+07 00";

        var result = await caller.SendAsync(call);

        Assert.Equal("4002401", result.ResponseCode);
        Assert.Contains("X-TIMESTAMP", result.ResponseMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("X-TIMESTAMP")]
    [InlineData("X-SIGNATURE")]
    [InlineData("X-PARTNER-ID")]
    [InlineData("X-EXTERNAL-ID")]
    [InlineData("CHANNEL-ID")]
    public async Task Should_refuse_with_4002402_naming_the_header_when_a_mandatory_header_is_missing(string header)
    {
        var caller = host.Symmetric;
        var call = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(Ids.PayNo()));
        call.Omit.Add(header);

        var result = await caller.SendAsync(call);

        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Equal("4002402", result.ResponseCode);
        Assert.Equal($"Invalid Mandatory Field {header}", result.ResponseMessage);
    }

    [Theory]
    [InlineData("12345678901234567890123456789012345678901")]
    [InlineData("1234-5678")]
    public async Task Should_refuse_with_4002401_when_X_EXTERNAL_ID_is_too_long_or_not_alphanumeric(string externalId)
    {
        var caller = host.Symmetric;
        var call = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(Ids.PayNo()));
        call.ExternalId = externalId;

        var result = await caller.SendAsync(call);

        Assert.Equal("4002401", result.ResponseCode);
        Assert.Contains("X-EXTERNAL-ID", result.ResponseMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("partnerServiceId")]
    [InlineData("customerNo")]
    [InlineData("payNo")]
    [InlineData("inquiryRequestId")]
    [InlineData("mitraCd")]
    public async Task Should_refuse_with_4002402_naming_the_field_when_a_mandatory_field_is_missing(string field)
    {
        var caller = host.Symmetric;
        var body = JsonSerializer.Deserialize<Dictionary<string, string>>(InquiryBody.For(Ids.PayNo()).Compact())!;
        body.Remove(field);
        var call = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(Ids.PayNo())).WithRawBody(JsonSerializer.Serialize(body));

        var result = await caller.SendAsync(call);

        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Equal("4002402", result.ResponseCode);
        Assert.Equal($"Invalid Mandatory Field {field}", result.ResponseMessage);
    }

    [Theory]
    [InlineData("partnerServiceId", "70150")]
    [InlineData("customerNo", "891011100")]
    [InlineData("payNo", "7015891011100")]
    [InlineData("inquiryRequestId", "41807553358950093184418075533589500931840")]
    [InlineData("mitraCd", "ALMAR")]
    public async Task Should_refuse_with_4002401_naming_the_field_when_a_field_is_over_long(string field, string value)
    {
        var caller = host.Symmetric;
        var body = JsonSerializer.Deserialize<Dictionary<string, string>>(InquiryBody.For(Ids.PayNo()).Compact())!;
        body[field] = value;
        var call = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(Ids.PayNo())).WithRawBody(JsonSerializer.Serialize(body));

        var result = await caller.SendAsync(call);

        Assert.Equal("4002401", result.ResponseCode);
        Assert.StartsWith($"Invalid Field Format {field}", result.ResponseMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"partnerServiceId\":7015,\"customerNo\":\"89101110\",\"payNo\":\"701589101110\",\"inquiryRequestId\":\"1\",\"mitraCd\":\"ALMA\"}", "partnerServiceId")]
    [InlineData("{\"partnerServiceId\":\"70a5\",\"customerNo\":\"89101110\",\"payNo\":\"70a589101110\",\"inquiryRequestId\":\"1\",\"mitraCd\":\"ALMA\"}", "partnerServiceId")]
    [InlineData("{\"partnerServiceId\":\"7015\",\"customerNo\":\"89101110\",\"payNo\":\"701589101110\",\"inquiryRequestId\":\"1 2\",\"mitraCd\":\"ALMA\"}", "inquiryRequestId")]
    public async Task Should_refuse_with_4002401_when_a_field_has_the_wrong_type_or_characters(string json, string field)
    {
        var caller = host.Symmetric;
        var call = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(Ids.PayNo())).WithRawBody(json);

        var result = await caller.SendAsync(call);

        Assert.Equal("4002401", result.ResponseCode);
        Assert.StartsWith($"Invalid Field Format {field}", result.ResponseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refuse_with_4002401_when_payNo_does_not_start_with_partnerServiceId_and_customerNo()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();
        await host.IssueAsync(code);
        var caller = host.Symmetric;
        // The code exists, but the request names it under another customerNo: refused before any lookup.
        var body = InquiryBody.For(code.PayNo) with { CustomerNo = "00000000" };

        var result = await caller.SendAsync(caller.Inquiry(await caller.TokenAsync(), body));

        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Equal("4002401", result.ResponseCode);
        Assert.Contains("payNo", result.ResponseMessage, StringComparison.Ordinal);
        Assert.Equal(0, await host.AnsweredEventsAsync(body.InquiryRequestId));
    }

    [Fact]
    public async Task Should_refuse_with_4002400_when_the_body_is_not_json()
    {
        var caller = host.Symmetric;
        var call = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(Ids.PayNo())).WithRawBody("{\"payNo\":");

        var result = await caller.SendAsync(call);

        Assert.Equal("4002400", result.ResponseCode);
    }

    [Fact]
    public async Task Should_refuse_with_4002401_when_the_body_is_over_8_KiB()
    {
        var caller = host.Symmetric;
        var padded = InquiryBody.For(Ids.PayNo()).Compact()[..^1] + ",\"additionalInfo\":{\"pad\":\"" + new string('x', 8200) + "\"}}";
        var call = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(Ids.PayNo())).WithRawBody(padded);

        var result = await caller.SendAsync(call);

        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Equal("4002401", result.ResponseCode);
        Assert.Contains("8192 bytes", result.ResponseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refuse_with_4002401_when_a_chunked_body_without_Content_Length_grows_over_8_KiB()
    {
        var caller = host.Symmetric;
        var padded = InquiryBody.For(Ids.PayNo()).Compact()[..^1] + ",\"additionalInfo\":{\"pad\":\"" + new string('x', 20_000) + "\"}}";
        var call = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(Ids.PayNo())).WithRawBody(padded);
        call.Chunked = true;

        var result = await caller.SendAsync(call);

        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Equal("4002401", result.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4042412_when_the_payNo_was_never_issued()
    {
        var caller = host.Symmetric;
        var body = InquiryBody.For(Ids.PayNo());

        var result = await caller.SendAsync(caller.Inquiry(await caller.TokenAsync(), body));

        Assert.Equal(HttpStatusCode.NotFound, result.Status);
        Assert.Equal("4042412", result.ResponseCode);
        Assert.Equal("Invalid Bill/Virtual Account [Not Found]", result.ResponseMessage);
        Assert.Equal(1, await host.AnsweredEventsAsync(body.InquiryRequestId));
    }

    [Fact]
    public async Task Should_answer_4042412_when_the_code_is_restricted_to_another_store_chain()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).WithMitraCd("INDM").Build();
        await host.IssueAsync(code);
        var caller = host.Symmetric;

        var result = await caller.SendAsync(caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(code.PayNo, "ALMA")));

        Assert.Equal("4042412", result.ResponseCode);
        Assert.Contains("ALMA", result.ResponseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_answer_any_store_chain_when_the_code_has_no_mitraCd()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).WithMitraCd(null).Build();
        await host.IssueAsync(code);
        var caller = host.Symmetric;

        var result = await caller.SendAsync(caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(code.PayNo, "INDM")));

        Assert.Equal("2000000", result.ResponseCode);
        Assert.Equal("INDM", result.Json.GetProperty("payNoData").GetProperty("mitraCd").GetString());
    }

    [Fact]
    public async Task Should_answer_4042419_when_the_code_has_expired()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).ExpiringAt(host.Clock.GetUtcNow().AddMinutes(-1)).Build();
        await host.IssueAsync(code);
        var caller = host.Symmetric;

        var result = await caller.SendAsync(caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(code.PayNo)));

        Assert.Equal(HttpStatusCode.NotFound, result.Status);
        Assert.Equal("4042419", result.ResponseCode);
        Assert.Equal("Invalid Bill/Virtual Account [Expired]", result.ResponseMessage);
    }

    [Fact]
    public async Task Should_answer_4042419_when_the_code_was_closed_on_the_bus()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();
        await host.IssueAsync(code);
        await host.CloseAsync(new CvsPaymentCodeClosed { PayNo = code.PayNo, Reason = "paid" });
        var caller = host.Symmetric;

        var result = await caller.SendAsync(caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(code.PayNo)));

        Assert.Equal("4042419", result.ResponseCode);
        Assert.Equal("Invalid Bill/Virtual Account [Closed: paid]", result.ResponseMessage);
    }

    [Fact]
    public async Task Should_answer_4092400_when_X_EXTERNAL_ID_was_used_today_for_another_inquiry()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();
        await host.IssueAsync(code);
        var caller = host.Symmetric;
        var token = await caller.TokenAsync();
        var first = caller.Inquiry(token, InquiryBody.For(code.PayNo));
        Assert.Equal("2000000", (await caller.SendAsync(first)).ResponseCode);
        var second = caller.Inquiry(token, InquiryBody.For(code.PayNo));
        second.ExternalId = first.ExternalId;

        var result = await caller.SendAsync(second);

        Assert.Equal(HttpStatusCode.Conflict, result.Status);
        Assert.Equal("4092400", result.ResponseCode);
        Assert.Contains("X-EXTERNAL-ID", result.ResponseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_replay_the_recorded_answer_and_publish_nothing_new_when_inquiryRequestId_repeats()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();
        await host.IssueAsync(code);
        var caller = host.Symmetric;
        var body = InquiryBody.For(code.PayNo);
        var first = await caller.SendAsync(caller.Inquiry(await caller.TokenAsync(), body));
        // Closing the code afterwards does not change the answer already given for this inquiryRequestId.
        await host.CloseAsync(new CvsPaymentCodeClosed { PayNo = code.PayNo, Reason = "paid" });

        var withNewExternalId = await caller.SendAsync(caller.Inquiry(await caller.TokenAsync(), body));

        Assert.Equal("2000000", first.ResponseCode);
        Assert.Equal(first.Body, withNewExternalId.Body);
        Assert.Equal(1, await host.AnsweredEventsAsync(body.InquiryRequestId));
        await host.OrderSystem.WaitForAnsweredAsync(body.InquiryRequestId);
        await host.WaitForOutboxDrainedAsync();
        Assert.Single(host.OrderSystem.Answered(body.InquiryRequestId));
    }

    [Fact]
    public async Task Should_replay_the_recorded_answer_when_the_same_request_is_retransmitted_with_the_same_X_EXTERNAL_ID()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();
        await host.IssueAsync(code);
        var caller = host.Symmetric;
        var call = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(code.PayNo));
        var first = await caller.SendAsync(call);

        var again = await caller.SendAsync(call);

        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(first.Body, again.Body);
        Assert.Equal(1, await host.AnsweredEventsAsync(InquiryIdOf(call)));
    }

    [Fact]
    public async Task Should_answer_4092401_when_inquiryRequestId_is_reused_for_another_payNo()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();
        var other = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();
        await host.IssueAsync(code);
        await host.IssueAsync(other);
        var caller = host.Symmetric;
        var body = InquiryBody.For(code.PayNo);
        Assert.Equal("2000000", (await caller.SendAsync(caller.Inquiry(await caller.TokenAsync(), body))).ResponseCode);

        var result = await caller.SendAsync(caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(other.PayNo) with { InquiryRequestId = body.InquiryRequestId }));

        Assert.Equal("4092401", result.ResponseCode);
        Assert.Equal(1, await host.AnsweredEventsAsync(body.InquiryRequestId));
    }

    [Fact]
    public async Task Should_answer_200_concurrent_inquiries_each_once()
    {
        var codes = Enumerable.Range(0, 20).Select(_ => new CvsPaymentCodeIssuedBuilder(host.Clock).Build()).ToList();
        await Task.WhenAll(codes.Select(host.IssueAsync));
        var caller = host.Symmetric;
        var token = await caller.TokenAsync();
        var bodies = Enumerable.Range(0, 200).Select(i => InquiryBody.For(codes[i % codes.Count].PayNo)).ToList();

        var results = await Task.WhenAll(bodies.Select(b => caller.SendAsync(caller.Inquiry(token, b))));

        // A 5002400 is the catch-all: show the exceptions the host logged, so a failure names its cause.
        var failures = results.Count(r => r.ResponseCode != "2000000");
        Assert.True(
            failures == 0,
            $"{failures} of 200 not 2000000 ({string.Join(", ", results.Select(r => r.ResponseCode).Distinct())}); host errors:\n"
            + string.Join("\n", host.Logs.Lines.Where(l => l.Contains(" failed ", StringComparison.Ordinal)).Select(FirstLinesOfFailure).Distinct().Take(5)));
        for (var i = 0; i < bodies.Count; i++)
        {
            Assert.Equal(bodies[i].InquiryRequestId, results[i].Json.GetProperty("payNoData").GetProperty("inquiryRequestId").GetString());
        }

        var ids = bodies.Select(b => b.InquiryRequestId).ToArray();
        var events = await host.CountAsync($"SELECT count(DISTINCT payload->>'inquiryRequestId')::int AS \"Value\" FROM outbox WHERE payload->>'inquiryRequestId' = ANY({ids})");
        var total = await host.CountAsync($"SELECT count(*)::int AS \"Value\" FROM outbox WHERE payload->>'inquiryRequestId' = ANY({ids})");
        var recorded = await host.CountAsync($"SELECT count(*)::int AS \"Value\" FROM cvs_inquiries WHERE inquiry_request_id = ANY({ids})");
        Assert.Equal(200, events);
        Assert.Equal(200, total);
        Assert.Equal(200, recorded);
        await InboundHost.WaitUntilAsync(
            () => Task.FromResult(ids.All(id => host.OrderSystem.Answered(id).Count > 0)),
            "200 CvsInquiryAnswered on RabbitMQ",
            seconds: 60);
    }

    [Fact]
    public async Task Should_record_one_answer_and_one_event_when_50_copies_of_one_inquiry_race()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();
        await host.IssueAsync(code);
        var caller = host.Symmetric;
        var token = await caller.TokenAsync();
        var body = InquiryBody.For(code.PayNo);

        // Each copy with its own X-EXTERNAL-ID: NICEPAY retrying one inquiryRequestId.
        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => caller.SendAsync(caller.Inquiry(token, body))));

        Assert.All(results, r => Assert.Equal(results[0].Body, r.Body));
        Assert.Equal("2000000", results[0].ResponseCode);
        Assert.Equal(1, await host.AnsweredEventsAsync(body.InquiryRequestId));
        await host.OrderSystem.WaitForAnsweredAsync(body.InquiryRequestId);
        await host.WaitForOutboxDrainedAsync();
        Assert.Single(host.OrderSystem.Answered(body.InquiryRequestId));
    }

    [Fact]
    public async Task Should_answer_2000000_when_PostgreSQL_refuses_new_connections_for_a_moment()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();
        await host.IssueAsync(code);
        var caller = host.Symmetric;
        var token = await caller.TokenAsync();
        var body = InquiryBody.For(code.PayNo);
        var retriesBefore = Retries("53300");

        // As during a burst on a full server: no idle connection in the pool, and PostgreSQL refuses new ones (53300).
        Task<SnapResult> answer;
        await host.SetConnectionLimitAsync(0);
        try
        {
            host.ClearHostPool();
            answer = caller.SendAsync(caller.Inquiry(token, body));
            await InboundHost.WaitUntilAsync(() => Task.FromResult(answer.IsCompleted || Retries("53300") > retriesBefore), "the refused connection to be retried or answered");
        }
        finally
        {
            await host.SetConnectionLimitAsync(-1);
        }

        var result = await answer;

        Assert.Equal("2000000", result.ResponseCode);
        Assert.True(Retries("53300") > retriesBefore, "the answer should have come through a retry after 53300");
        Assert.Equal(1, await host.AnsweredEventsAsync(body.InquiryRequestId));
    }

    [Fact]
    public async Task Should_record_one_answer_and_one_event_when_the_inquiry_transaction_loses_its_connection()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();
        await host.IssueAsync(code);
        var caller = host.Symmetric;
        var token = await caller.TokenAsync();
        var body = InquiryBody.For(code.PayNo);
        var retriesBefore = Retries("57P01");

        // An uncommitted row with the same inquiryRequestId holds the host's transaction at its cvs_inquiries insert,
        // after it claimed the X-EXTERNAL-ID: the connection is then killed mid-transaction.
        Task<SnapResult> answer;
        await using (var blocker = await host.Database.DataSource.OpenConnectionAsync())
        {
            await using var transaction = await blocker.BeginTransactionAsync();
            await using (var insert = new NpgsqlCommand(
                """
                INSERT INTO cvs_inquiries
                  (inquiry_request_id, partner_name, request_fingerprint, pay_no, external_id, http_status, response_code, response_body, answered_at)
                VALUES (@id, 'blocker', 'blocker', @payNo, 'blocker', 500, '5002400', '{}', now())
                """,
                blocker,
                transaction))
            {
                insert.Parameters.AddWithValue("id", body.InquiryRequestId);
                insert.Parameters.AddWithValue("payNo", code.PayNo);
                await insert.ExecuteNonQueryAsync();
            }

            answer = caller.SendAsync(caller.Inquiry(token, body));
            await InboundHost.WaitUntilAsync(TerminateBlockedInsertAsync, "the host's insert to wait on the uncommitted row");
            await InboundHost.WaitUntilAsync(() => Task.FromResult(answer.IsCompleted || Retries("57P01") > retriesBefore), "the lost transaction to be retried or answered");
            await transaction.RollbackAsync();
        }

        var result = await answer;

        Assert.Equal("2000000", result.ResponseCode);
        Assert.True(Retries("57P01") > retriesBefore, "the answer should have come through a retry after 57P01");
        Assert.Equal(body.InquiryRequestId, result.Json.GetProperty("payNoData").GetProperty("inquiryRequestId").GetString());
        Assert.Equal(1, await host.CountAsync($"SELECT count(*)::int AS \"Value\" FROM cvs_inquiries WHERE inquiry_request_id = {body.InquiryRequestId}"));
        Assert.Equal(1, await host.AnsweredEventsAsync(body.InquiryRequestId));
    }

    [Fact]
    public async Task Should_never_log_the_token_the_signature_or_the_client_secret()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();
        await host.IssueAsync(code);
        var caller = host.Symmetric;
        var token = await caller.TokenAsync();
        var good = caller.Inquiry(token, InquiryBody.For(code.PayNo));
        var bad = caller.Inquiry(token, InquiryBody.For(code.PayNo));
        bad.Signature = "AAAA" + caller.Sign(bad)[4..];

        Assert.Equal("2000000", (await caller.SendAsync(good)).ResponseCode);
        Assert.Equal("4012400", (await caller.SendAsync(bad)).ResponseCode);
        Assert.Equal("4012401", (await caller.SendAsync(caller.Inquiry(token + "x", InquiryBody.For(code.PayNo)))).ResponseCode);

        var secrets = new[] { token, caller.Sign(good), bad.Signature, InboundHost.SymmetricSecret };
        Assert.Contains(host.Logs.Lines, l => l.Contains(InquiryIdOf(good), StringComparison.Ordinal));
        Assert.DoesNotContain(host.Logs.Lines, l => secrets.Any(s => l.Contains(s, StringComparison.Ordinal)));
    }

    private NicepayCaller Caller(Mode mode) => mode switch
    {
        Mode.Symmetric => host.Symmetric,
        Mode.ClientIdTimestamp => host.ClientIdTimestamp,
        _ => host.AsymmetricRequest,
    };

    /// <summary>The first line of a logged failure and of its innermost cause: enough to name it in an assertion.</summary>
    private static string FirstLinesOfFailure(string line)
    {
        var lines = line.Split('\n');
        var cause = lines.LastOrDefault(l => l.TrimStart().StartsWith("--->", StringComparison.Ordinal));
        return cause is null ? lines[0] : lines[0] + " | " + cause.Trim();
    }

    /// <summary>Terminates the host backend waiting to insert into cvs_inquiries; false while there is none yet.</summary>
    /// <remarks>A statement of its own each time: pg_stat_activity is a snapshot taken once per transaction.</remarks>
    private async Task<bool> TerminateBlockedInsertAsync()
    {
        await using var cmd = host.Database.DataSource.CreateCommand(
            """
            SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
              AND query LIKE '%INSERT INTO cvs_inquiries%'
            """);
        return (int)(await cmd.ExecuteScalarAsync())! > 0;
    }

    /// <summary>How many times the host has logged an inbound retry after a failure with <paramref name="sqlState"/>.</summary>
    private int Retries(string sqlState)
        => host.Logs.Lines.Count(l => l.Contains("Inbound database work failed transiently (" + sqlState + ")", StringComparison.Ordinal));

    private static string InquiryIdOf(InquiryCall call)
        => JsonDocument.Parse(call.SignedBody).RootElement.GetProperty("inquiryRequestId").GetString()!;
}
