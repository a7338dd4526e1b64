using RefundWorker.Sandbox.Tests.Infrastructure;

namespace RefundWorker.Sandbox.Tests;

/// <summary>iFortePay QRIS MPM cancel (service 77, docs/protocol.md#ifortepay-cancel): only DYNAMIC payments that are still cancellable.</summary>
public sealed class CancelTests
{
    [Fact]
    public async Task Should_cancel_and_book_the_ledger_with_the_seed_fields_when_the_payment_is_dynamic()
    {
        await using var sb = await TestSandbox.StartAsync(now: new DateTimeOffset(2020, 10, 20, 10, 56, 57, TimeSpan.Zero));
        var original = sb.AddOriginal("ifortepay", 10_000m);
        var externalId = SnapTestClient.NewExternalId();

        var answer = await sb.Client("ifortepay").PostAsync(SandboxOperation.Cancel, Requests.Cancel(original), new CallOptions { ExternalId = externalId });

        Assert.Equal(200, answer.HttpStatus);
        Assert.Equal("2007700", answer.ResponseCode);
        Assert.Equal("Request has been processed successfully", answer.Get("responseMessage"));
        Assert.Equal(original.OriginalPartnerReferenceNo, answer.Get("originalPartnerReferenceNo"));
        Assert.Equal(original.OriginalReferenceNo, answer.Get("originalReferenceNo"));
        Assert.Equal("2020-10-20T17:56:57", answer.Get("cancelTime"));
        Assert.Equal("DYNAMIC", answer.Get("additionalInfo.type"));
        var entry = sb.Ledger.Find("ifortepay", original.OriginalReferenceNo)!;
        Assert.Equal(externalId, entry.Cancel!.ExternalId);
        Assert.Equal("05", entry.LatestTransactionStatus);
    }

    [Fact]
    public async Task Should_cancel_when_the_payment_is_still_pending()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("ifortepay", 10_000m, status: OriginalStatus.Pending);

        var answer = await sb.Client("ifortepay").PostAsync(SandboxOperation.Cancel, Requests.Cancel(original));

        Assert.Equal("2007700", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4037715_and_book_nothing_when_the_payment_is_a_static_qr()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("ifortepay", 10_000m, qrType: "STATIC");

        var answer = await sb.Client("ifortepay").PostAsync(SandboxOperation.Cancel, Requests.Cancel(original));

        Assert.Equal(403, answer.HttpStatus);
        Assert.Equal("4037715", answer.ResponseCode);
        Assert.Null(sb.Ledger.Find("ifortepay", original.OriginalReferenceNo)!.Cancel);
    }

    [Fact]
    public async Task Should_answer_4037715_when_the_cancel_window_has_closed()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("ifortepay", 10_000m, cancellableUntil: DateTimeOffset.UtcNow.AddMinutes(30));
        sb.Clock.Advance(TimeSpan.FromMinutes(31));

        var answer = await sb.Client("ifortepay").PostAsync(SandboxOperation.Cancel, Requests.Cancel(original));

        Assert.Equal("4037715", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4037715_when_the_payment_failed()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("ifortepay", 10_000m, status: OriginalStatus.Failed);

        var answer = await sb.Client("ifortepay").PostAsync(SandboxOperation.Cancel, Requests.Cancel(original));

        Assert.Equal("4037715", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4007701_when_the_request_says_the_qr_is_not_dynamic()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("ifortepay", 10_000m);

        var answer = await sb.Client("ifortepay").PostAsync(SandboxOperation.Cancel, Requests.Cancel(original, type: "STATIC"));

        Assert.Equal("4007701", answer.ResponseCode);
        Assert.Equal("Invalid Field Format {additionalInfo.type}", answer.Get("responseMessage"));
    }

    [Theory]
    [InlineData("originalPartnerReferenceNo")]
    [InlineData("originalReferenceNo")]
    [InlineData("reason")]
    [InlineData("additionalInfo")]
    [InlineData("additionalInfo.type")]
    public async Task Should_answer_4007702_when_a_cancel_mandatory_field_is_missing(string field)
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("ifortepay", 10_000m);

        var answer = await sb.Client("ifortepay").PostAsync(SandboxOperation.Cancel, Requests.Cancel(original).Without(field));

        Assert.Equal("4007702", answer.ResponseCode);
        Assert.Equal($"Invalid Mandatory Field {{{field}}}", answer.Get("responseMessage"));
    }

    [Fact]
    public async Task Should_answer_4007701_when_the_reason_is_longer_than_256()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("ifortepay", 10_000m);

        var answer = await sb.Client("ifortepay").PostAsync(SandboxOperation.Cancel, Requests.Cancel(original).With("reason", new string('r', 257)));

        Assert.Equal("4007701", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4047701_when_the_payment_is_unknown()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("ifortepay", 10_000m);

        var answer = await sb.Client("ifortepay").PostAsync(SandboxOperation.Cancel, Requests.Cancel(original).With("originalReferenceNo", "2020102977770000000000"));

        Assert.Equal("4047701", answer.ResponseCode);
    }

    [Theory]
    [InlineData(SecondCancelPolicy.ReturnOriginal, "2007700")]
    [InlineData(SecondCancelPolicy.Conflict, "4097701")]
    [InlineData(SecondCancelPolicy.NotPermitted, "4037715")]
    public async Task Should_answer_a_second_cancel_per_profile_setting_and_book_one_cancel(SecondCancelPolicy policy, string expected)
    {
        await using var sb = await TestSandbox.StartAsync(s => s.Providers["ifortepay"].SecondCancel = policy);
        var original = sb.AddOriginal("ifortepay", 10_000m);
        var client = sb.Client("ifortepay");

        var first = await client.PostAsync(SandboxOperation.Cancel, Requests.Cancel(original));
        sb.Clock.Advance(TimeSpan.FromSeconds(3));
        var second = await client.PostAsync(SandboxOperation.Cancel, Requests.Cancel(original));

        Assert.Equal("2007700", first.ResponseCode);
        Assert.Equal(expected, second.ResponseCode);
        if (expected == "2007700")
        {
            Assert.Equal(first.Get("cancelTime"), second.Get("cancelTime"));
        }

        Assert.Equal(first.Get("cancelTime"), sb.Ledger.Find("ifortepay", original.OriginalReferenceNo)!.Cancel!.CancelTime.ToOffset(TimeSpan.FromHours(7)).ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Should_book_one_cancel_when_50_cancels_race()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("ifortepay", 10_000m);
        var client = sb.Client("ifortepay");
        await client.AccessTokenAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => client.PostAsync(SandboxOperation.Cancel, Requests.Cancel(original))));

        Assert.All(answers, a => Assert.Equal("2007700", a.ResponseCode));
        Assert.Single(answers.Select(a => a.Get("cancelTime")).Distinct());
    }
}
