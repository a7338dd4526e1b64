using System.Net;
using System.Text;
using System.Text.Json;
using RefundWorker.Sandbox.Tests.Infrastructure;

namespace RefundWorker.Sandbox.Tests;

/// <summary>/_sandbox/*: originals, ledger, faults, stats, reset, as an integrator's script would use them.</summary>
public sealed class AdminApiTests
{
    [Fact]
    public async Task Should_seed_originals_and_show_effected_refunds_when_the_admin_api_is_used()
    {
        await using var sb = await TestSandbox.StartAsync();

        using var created = await PostJsonAsync(sb, "_sandbox/originals", """
            [{"provider":"nicepay","originalReferenceNo":"NCPYADMIN0001","originalPartnerReferenceNo":"ORDER-ADMIN-1","merchantId":"IONPAYTEST","amount":"15000.00"},
             {"provider":"ifortepay","amount":20000,"qrType":"dynamic"}]
            """);
        var original = sb.Ledger.Find("nicepay", "NCPYADMIN0001")!;
        await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, "RFND-ADMIN-1", "5000.00"));
        var ledger = await GetJsonAsync(sb, "_sandbox/ledger?provider=nicepay");
        var one = await GetJsonAsync(sb, "_sandbox/ledger/nicepay/NCPYADMIN0001");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Single(sb.Ledger.Snapshot("ifortepay"));
        Assert.Equal(5000m, ledger.GetProperty("totalRefunded").GetDecimal());
        Assert.Equal(1, ledger.GetProperty("refundCount").GetInt32());
        Assert.Equal("RFND-ADMIN-1", one.GetProperty("refunds")[0].GetProperty("partnerRefundNo").GetString());
        Assert.Equal(10000m, one.GetProperty("remainingAmount").GetDecimal());
    }

    [Fact]
    public async Task Should_answer_409_when_an_original_with_the_same_reference_exists()
    {
        await using var sb = await TestSandbox.StartAsync();
        const string Body = """{"provider":"bnc","originalReferenceNo":"2023072115548417896116252","amount":1000}""";

        using var first = await PostJsonAsync(sb, "_sandbox/originals", Body);
        using var second = await PostJsonAsync(sb, "_sandbox/originals", Body);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
    }

    [Theory]
    [InlineData("""{"provider":"nobody","amount":1000}""")]
    [InlineData("""{"provider":"nicepay","amount":0}""")]
    [InlineData("""{"provider":"nicepay","amount":1000,"qrType":"BARCODE"}""")]
    [InlineData("""{"provider":"nicepay","amount":""")]
    public async Task Should_answer_400_when_an_original_is_invalid(string body)
    {
        await using var sb = await TestSandbox.StartAsync();

        using var response = await PostJsonAsync(sb, "_sandbox/originals", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(sb.Ledger.Snapshot());
    }

    [Fact]
    public async Task Should_change_and_show_faults_when_they_are_put_through_the_admin_api()
    {
        await using var sb = await TestSandbox.StartAsync();

        using var put = await SendJsonAsync(sb, HttpMethod.Put, "_sandbox/faults/bnc", """{"error503Rate":0.5,"latency":{"distribution":"LogNormal","meanMs":40,"stdDevMs":20,"maxMs":500},"lostResponseMode":"Abort"}""");
        var view = await GetJsonAsync(sb, "_sandbox/faults");

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(0.5, sb.Handle.Faults.Get("bnc").Error503Rate);
        Assert.Equal(LatencyDistribution.LogNormal, sb.Handle.Faults.Get("bnc").Latency.Distribution);
        Assert.Equal(LostResponseMode.Abort, sb.Handle.Faults.Get("bnc").LostResponseMode);
        Assert.Equal(0.5, view.GetProperty("providers").GetProperty("bnc").GetProperty("error503Rate").GetDouble());
    }

    [Fact]
    public async Task Should_replace_every_provider_and_the_seed_when_all_faults_are_put()
    {
        await using var sb = await TestSandbox.StartAsync(s => s.Providers["bnc"].Faults = new FaultSettings { Error429Rate = 0.2 });

        using var put = await SendJsonAsync(sb, HttpMethod.Put, "_sandbox/faults", """{"seed":99,"providers":{"nicepay":{"error500Rate":0.1}}}""");

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(99, sb.Handle.Faults.Seed);
        Assert.Equal(0.1, sb.Handle.Faults.Get("nicepay").Error500Rate);
        Assert.Equal(0, sb.Handle.Faults.Get("bnc").Error429Rate);
    }

    [Theory]
    [InlineData("_sandbox/faults/nicepay", """{"error500Rate":0.6,"error503Rate":0.6}""", HttpStatusCode.BadRequest)]
    [InlineData("_sandbox/faults/nobody", """{"error500Rate":0.1}""", HttpStatusCode.NotFound)]
    [InlineData("_sandbox/faults/nicepay", """{"error500Rate":""", HttpStatusCode.BadRequest)]
    public async Task Should_refuse_a_fault_change_when_it_is_invalid(string path, string body, HttpStatusCode expected)
    {
        await using var sb = await TestSandbox.StartAsync();

        using var response = await SendJsonAsync(sb, HttpMethod.Put, path, body);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(0, sb.Handle.Faults.Get("nicepay").Error500Rate);
    }

    [Fact]
    public async Task Should_refuse_a_scripted_respond_step_without_a_valid_code()
    {
        await using var sb = await TestSandbox.StartAsync();

        using var response = await PostJsonAsync(sb, "_sandbox/faults/nicepay/script", """{"operation":"Refund","steps":[{"kind":"Respond","responseCode":"40378"}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(sb.Handle.Faults.PendingScript("nicepay", SandboxOperation.Refund));
    }

    [Fact]
    public async Task Should_clear_faults_and_scripts_when_faults_are_deleted()
    {
        await using var sb = await TestSandbox.StartAsync(s => s.Providers["nicepay"].Faults = new FaultSettings { HangRate = 1 });
        sb.Handle.Faults.Script("nicepay", SandboxOperation.Query, FaultStep.Of(FaultKind.Error500));

        using var response = await sb.Http.DeleteAsync(new Uri(sb.Handle.BaseUrl, "_sandbox/faults"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, sb.Handle.Faults.Get("nicepay").HangRate);
        Assert.Empty(sb.Handle.Faults.PendingScript("nicepay", SandboxOperation.Query));
    }

    [Fact]
    public async Task Should_return_to_the_configured_state_when_reset()
    {
        var configured = new OriginalSeed { Provider = "nicepay", OriginalReferenceNo = "NCPYCONFIGURED01", OriginalPartnerReferenceNo = "ORDER-CONFIGURED", Amount = 10_000m };
        await using var sb = await TestSandbox.StartAsync(s =>
        {
            s.Originals.Add(configured);
            s.Providers["nicepay"].Faults = new FaultSettings { TokenLatencyMs = 1 };
        });
        var client = sb.Client("nicepay");
        var seeded = sb.Ledger.Find("nicepay", "NCPYCONFIGURED01")!;
        var added = sb.AddOriginal("nicepay", 5_000m);
        var oldToken = await client.AccessTokenAsync();
        await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(seeded, TestSandbox.NewRefundNo(), "100.00"), new CallOptions { ExternalId = "1234" });
        sb.Handle.Faults.Set("nicepay", new FaultSettings { Error500Rate = 0.5 });

        using var reset = await PostJsonAsync(sb, "_sandbox/reset", "{}");
        var withOldToken = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(seeded), new CallOptions { Token = oldToken });
        client.ForgetToken();
        var sameExternalIdAgain = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(seeded), new CallOptions { ExternalId = "1234" });

        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.Equal(0m, sb.Ledger.Find("nicepay", "NCPYCONFIGURED01")!.RefundedAmount);
        Assert.Null(sb.Ledger.Find("nicepay", added.OriginalReferenceNo));
        Assert.Equal("4015101", withOldToken.ResponseCode);
        Assert.Equal("2005100", sameExternalIdAgain.ResponseCode);
        Assert.Equal(0, sb.Handle.Faults.Get("nicepay").Error500Rate);
        Assert.Equal(1, sb.Handle.Faults.Get("nicepay").TokenLatencyMs);
    }

    [Fact]
    public async Task Should_count_answers_per_code_when_stats_are_read()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), "1.00"));
        await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), "1.00"));
        await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), "99999.00"));

        var stats = await GetJsonAsync(sb, "_sandbox/stats");

        Assert.Equal(2, sb.Handle.Stats.Count("nicepay", SandboxOperation.Refund, "2007800"));
        Assert.Equal(1, sb.Handle.Stats.Count("nicepay", SandboxOperation.Refund, "4047813"));
        Assert.Contains(stats.GetProperty("responses").EnumerateArray(), l => l.GetProperty("outcome").GetString() == "2007800" && l.GetProperty("count").GetInt64() == 2);
    }

    [Fact]
    public async Task Should_list_each_provider_with_its_base_url_and_paths()
    {
        await using var sb = await TestSandbox.StartAsync();

        var providers = await GetJsonAsync(sb, "_sandbox/providers");

        var nicepay = providers.EnumerateArray().Single(p => p.GetProperty("name").GetString() == "nicepay");
        Assert.Equal(sb.Handle.BaseUrl + "nicepay", nicepay.GetProperty("baseUrl").GetString());
        Assert.Equal("/api/v1.0/qr/qr-mpm-refund", nicepay.GetProperty("refundPath").GetString());
        Assert.Equal(3, providers.GetArrayLength());
    }

    private static async Task<JsonElement> GetJsonAsync(TestSandbox sb, string path)
    {
        var text = await sb.Http.GetStringAsync(new Uri(sb.Handle.BaseUrl, path));
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static Task<HttpResponseMessage> PostJsonAsync(TestSandbox sb, string path, string json) => SendJsonAsync(sb, HttpMethod.Post, path, json);

    private static Task<HttpResponseMessage> SendJsonAsync(TestSandbox sb, HttpMethod method, string path, string json)
    {
        var request = new HttpRequestMessage(method, new Uri(sb.Handle.BaseUrl, path)) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        return sb.Http.SendAsync(request);
    }
}
