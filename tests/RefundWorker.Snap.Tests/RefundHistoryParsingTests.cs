using System.Net;
using System.Text.Json.Nodes;
using RefundWorker.Snap.Tests.Support;

namespace RefundWorker.Snap.Tests;

/// <summary>The list of refunds in a status answer: SNAP's <c>refundHistory</c>, or the list name a profile sets.</summary>
public sealed class RefundHistoryParsingTests
{
    private static readonly DateTimeOffset Now = new(2024, 12, 31, 3, 11, 40, TimeSpan.Zero);

    private static (SnapClient Client, FakeSnapServer Server) Create()
    {
        var time = new FakeTimeProvider(Now);
        var server = new FakeSnapServer { TokenDelay = TimeSpan.Zero };
        var http = new HttpClient(server);
        return (new SnapClient(http, new SnapAccessTokenProvider(http, time), time, new ExternalIdGenerator(time, "1")), server);
    }

    private static SnapProvider Nicepay(string? refundListField = null)
    {
        var options = Providers.NicepayOptions();
        options.RefundListField = refundListField;
        return SnapProvider.Create("nicepay", options);
    }

    // A successful status answer of a refunded payment, with the given lists (name → items).
    private static string Answer(params (string Name, JsonNode? List)[] lists)
    {
        var body = new JsonObject
        {
            ["responseCode"] = "2005100",
            ["responseMessage"] = "Successful",
            ["originalReferenceNo"] = "NCPY20221017161458",
            ["serviceCode"] = "47",
            ["latestTransactionStatus"] = "04",
            ["amount"] = new JsonObject { ["value"] = "10000.00", ["currency"] = "IDR" },
        };
        foreach (var (name, list) in lists)
        {
            body[name] = list;
        }

        return body.ToJsonString();
    }

    private static JsonObject Item(string partnerReferenceNo, string value = "2500.00", string status = "00") => new()
    {
        ["refundNo"] = "RN-" + partnerReferenceNo,
        ["partnerReferenceNo"] = partnerReferenceNo,
        ["refundAmount"] = new JsonObject { ["value"] = value, ["currency"] = "IDR" },
        ["refundStatus"] = status,
        ["refundDate"] = "2024-12-31T10:11:40+07:00",
        ["reason"] = "Customer returned the item",
    };

    private static async Task<SnapCallResult<QueryResponse>> QueryAsync(SnapProvider provider, string answer)
    {
        var (client, server) = Create();
        server.Answers.Enqueue((HttpStatusCode.OK, answer));
        return await client.QueryAsync(provider, Requests.Query(), "1", CancellationToken.None);
    }

    [Fact]
    public async Task Should_read_every_field_of_refundHistory_when_the_provider_lists_refunds()
    {
        var result = await QueryAsync(Nicepay(), Answer(("refundHistory", new JsonArray(Item("RF1"), Item("RF2", "1000", "06")))));

        Assert.Equal(OutcomeClass.Success, result.Outcome);
        var history = result.Body!.RefundHistory!;
        Assert.Equal(2, history.Count);
        Assert.Equal("RN-RF1", history[0].RefundNo);
        Assert.Equal("RF1", history[0].PartnerReferenceNo);
        Assert.Null(history[0].PartnerRefundNo);
        Assert.Equal(2500m, history[0].RefundAmount!.ToDecimal());
        Assert.Equal("IDR", history[0].RefundAmount!.Currency);
        Assert.Equal(RefundHistoryItem.StatusSuccess, history[0].RefundStatus);
        Assert.Equal("2024-12-31T10:11:40+07:00", history[0].RefundDate);
        Assert.Equal("Customer returned the item", history[0].Reason);
        Assert.Equal(1000m, history[1].RefundAmount!.ToDecimal());
        Assert.Equal(RefundHistoryItem.StatusFailed, history[1].RefundStatus);
    }

    [Fact]
    public async Task Should_read_partnerRefundNo_of_an_item_when_a_provider_adds_it()
    {
        var item = Item("ORDER-1");
        item["partnerRefundNo"] = "RF1";

        var result = await QueryAsync(Nicepay(), Answer(("refundHistory", new JsonArray(item))));

        Assert.Equal("RF1", Assert.Single(result.Body!.RefundHistory!).PartnerRefundNo);
    }

    [Fact]
    public async Task Should_have_no_list_when_the_answer_lists_no_refunds()
    {
        var result = await QueryAsync(Nicepay(), Answer());

        Assert.Equal(OutcomeClass.Success, result.Outcome);
        Assert.Null(result.Body!.RefundHistory);
    }

    [Fact]
    public async Task Should_have_an_empty_list_rather_than_none_when_refundHistory_is_empty()
    {
        var result = await QueryAsync(Nicepay(), Answer(("refundHistory", new JsonArray())));

        Assert.Empty(result.Body!.RefundHistory!);
    }

    [Fact]
    public async Task Should_not_read_a_list_named_refunds_when_the_profile_keeps_the_snap_name()
    {
        // The name the worker read before: no provider document uses it.
        var result = await QueryAsync(Nicepay(), Answer(("refunds", new JsonArray(Item("RF1")))));

        Assert.Null(result.Body!.RefundHistory);
    }

    [Fact]
    public async Task Should_read_the_configured_list_when_a_provider_names_it_otherwise()
    {
        var result = await QueryAsync(
            Nicepay(refundListField: "refundList"),
            Answer(("refundHistory", new JsonArray(Item("NOT-THIS-ONE"))), ("refundList", new JsonArray(Item("RF1")))));

        Assert.Equal(OutcomeClass.Success, result.Outcome);
        Assert.Equal("RF1", Assert.Single(result.Body!.RefundHistory!).PartnerReferenceNo);
    }

    [Fact]
    public async Task Should_have_no_list_when_the_configured_list_is_absent_even_if_refundHistory_is_there()
    {
        var result = await QueryAsync(Nicepay(refundListField: "refundList"), Answer(("refundHistory", new JsonArray(Item("RF1")))));

        Assert.Equal(OutcomeClass.Success, result.Outcome);
        Assert.Null(result.Body!.RefundHistory);
    }

    [Fact]
    public async Task Should_not_report_success_when_the_configured_list_is_not_a_list()
    {
        // An unreadable list must not pass for an answer without one (which "00" would read as "not refunded").
        var result = await QueryAsync(Nicepay(refundListField: "refundList"), Answer(("refundList", new JsonObject { ["refundNo"] = "RN1" })));

        Assert.Equal(OutcomeClass.OutcomeUnknown, result.Outcome);
    }

    [Fact]
    public void Should_default_the_list_name_to_refundHistory_when_the_profile_sets_none()
    {
        Assert.Equal("refundHistory", Nicepay().RefundListField);
        Assert.Equal("refundHistory", ProviderProfile.For(ProviderProfile.IFortePay).RefundListField);
        Assert.Equal("refundList", Nicepay(refundListField: " refundList ").RefundListField);
    }

    [Fact]
    public void Should_refuse_to_start_naming_the_key_when_the_list_name_is_blank()
    {
        var options = Providers.NicepayOptions();
        options.RefundListField = "  ";
        var errors = new List<string>();

        Assert.Null(SnapProvider.TryCreate("nicepay", options, errors));
        Assert.Contains(errors, e => e.Contains("Snap:Providers:nicepay:RefundListField", StringComparison.Ordinal));
    }
}
