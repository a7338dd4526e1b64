using System.Diagnostics;
using RefundWorker.Sandbox.Tests.Infrastructure;

namespace RefundWorker.Sandbox.Tests;

/// <summary>Each fault mode, seen through a real HTTP client, and what it did (or did not do) to the ledger.</summary>
public sealed class FaultTests
{
    [Theory]
    [InlineData(FaultKind.Error500, 500, "5007801")]
    [InlineData(FaultKind.Error504, 504, "5047800")]
    [InlineData(FaultKind.Error429, 429, "4297800")]
    public async Task Should_answer_the_error_and_book_nothing_when_the_error_rate_is_one(FaultKind kind, int status, string code)
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        await client.AccessTokenAsync();
        sb.Handle.Faults.Set("nicepay", kind switch
        {
            FaultKind.Error500 => new FaultSettings { Error500Rate = 1 },
            FaultKind.Error504 => new FaultSettings { Error504Rate = 1 },
            _ => new FaultSettings { Error429Rate = 1 },
        });

        var answer = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()));

        Assert.Equal(status, answer.HttpStatus);
        Assert.Equal(code, answer.ResponseCode);
        Assert.Empty(sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
    }

    [Fact]
    public async Task Should_answer_a_bare_503_without_a_snap_body_when_the_503_rate_is_one()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        await client.AccessTokenAsync();
        sb.Handle.Faults.Set("nicepay", new FaultSettings { Error503Rate = 1 });

        var answer = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()));

        Assert.Equal(503, answer.HttpStatus);
        Assert.Equal("text/plain", answer.ContentType);
        Assert.DoesNotContain("responseCode", answer.RawBody, StringComparison.Ordinal);
        Assert.Empty(sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
    }

    [Fact]
    public async Task Should_book_the_refund_and_answer_504_when_the_response_is_lost()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        await client.AccessTokenAsync();
        var refundNo = TestSandbox.NewRefundNo();
        sb.Handle.Faults.Set("nicepay", new FaultSettings { LostResponseRate = 1, LostResponseMode = LostResponseMode.Gateway504, Operations = [SandboxOperation.Refund] });

        var lost = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "4000.00"));
        var query = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original));

        Assert.Equal(504, lost.HttpStatus);
        Assert.Equal("5047800", lost.ResponseCode);
        Assert.Equal(4000m, sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!.RefundedAmount);
        Assert.Equal("04", query.Get("latestTransactionStatus"));
        Assert.Equal(1, sb.Handle.Stats.Count("nicepay", SandboxOperation.Refund, "LOST504"));
    }

    [Fact]
    public async Task Should_book_the_refund_and_drop_the_connection_when_the_response_is_lost_by_abort()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        await client.AccessTokenAsync();
        sb.Handle.Faults.Set("nicepay", new FaultSettings { LostResponseRate = 1, LostResponseMode = LostResponseMode.Abort });

        await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), "4000.00")));

        Assert.Equal(4000m, sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!.RefundedAmount);
    }

    [Fact]
    public async Task Should_book_the_cancel_and_drop_the_connection_when_a_cancel_response_is_lost()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("ifortepay", 10_000m);
        var client = sb.Client("ifortepay");
        await client.AccessTokenAsync();
        sb.Handle.Faults.Set("ifortepay", new FaultSettings { LostResponseRate = 1, LostResponseMode = LostResponseMode.Abort });

        await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync(SandboxOperation.Cancel, Requests.Cancel(original)));

        Assert.NotNull(sb.Ledger.Find("ifortepay", original.OriginalReferenceNo)!.Cancel);
    }

    [Fact]
    public async Task Should_not_answer_within_the_client_timeout_and_book_nothing_when_the_provider_hangs()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        await client.AccessTokenAsync();
        sb.Handle.Faults.Set("nicepay", new FaultSettings { HangRate = 1, HangSeconds = 60 });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()), new CallOptions { Timeout = TimeSpan.FromMilliseconds(500) }));

        Assert.Empty(sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
    }

    [Fact]
    public async Task Should_book_the_refund_but_never_answer_when_the_response_is_lost_by_hanging()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        await client.AccessTokenAsync();
        sb.Handle.Faults.Set("nicepay", new FaultSettings { LostResponseRate = 1, LostResponseMode = LostResponseMode.Hang, HangSeconds = 60 });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), "10.00"), new CallOptions { Timeout = TimeSpan.FromMilliseconds(500) }));

        Assert.Equal(10m, sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!.RefundedAmount);
    }

    [Fact]
    public async Task Should_drop_the_connection_when_the_hang_time_is_over()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        await client.AccessTokenAsync();
        sb.Handle.Faults.Set("nicepay", new FaultSettings { HangRate = 1, HangSeconds = 1 });

        await Assert.ThrowsAsync<HttpRequestException>(() =>
            client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()), new CallOptions { Timeout = TimeSpan.FromSeconds(20) }));
    }

    [Fact]
    public async Task Should_delay_the_answer_at_least_the_fixed_latency_when_latency_is_configured()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        await client.AccessTokenAsync();
        sb.Handle.Faults.Set("nicepay", new FaultSettings { Latency = new LatencySettings { Distribution = LatencyDistribution.Fixed, FixedMs = 300 } });

        var watch = Stopwatch.StartNew();
        var answer = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original));

        Assert.Equal("2005100", answer.ResponseCode);
        Assert.True(watch.ElapsedMilliseconds >= 290, $"answered after {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Should_delay_by_a_drawn_latency_within_bounds_when_latency_is_uniform()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        await client.AccessTokenAsync();
        sb.Handle.Faults.Set("nicepay", new FaultSettings { Latency = new LatencySettings { Distribution = LatencyDistribution.Uniform, MinMs = 200, MaxMs = 250 } });

        var watch = Stopwatch.StartNew();
        await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original));

        Assert.True(watch.ElapsedMilliseconds >= 190, $"answered after {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Should_delay_the_token_answer_when_the_token_endpoint_is_slow()
    {
        await using var sb = await TestSandbox.StartAsync();
        sb.Handle.Faults.Set("nicepay", new FaultSettings { TokenLatencyMs = 400 });

        var watch = Stopwatch.StartNew();
        var answer = await sb.Client("nicepay").TokenAsync();

        Assert.Equal("2007300", answer.ResponseCode);
        Assert.True(watch.ElapsedMilliseconds >= 390, $"answered after {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Should_reject_the_token_before_its_announced_expiry_when_the_token_dies_early()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        sb.Handle.Faults.Set("nicepay", new FaultSettings { TokenActualLifetimeSeconds = 10 });
        var token = await client.TokenAsync();

        var fresh = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original), new CallOptions { Token = token.Get("accessToken") });
        sb.Clock.Advance(TimeSpan.FromSeconds(11));
        var early = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original), new CallOptions { Token = token.Get("accessToken") });

        Assert.Equal("900", token.Get("expiresIn"));
        Assert.Equal("2005100", fresh.ResponseCode);
        Assert.Equal("4015101", early.ResponseCode);
    }

    [Fact]
    public async Task Should_draw_the_same_faults_when_the_seed_is_the_same_and_other_faults_when_it_differs()
    {
        static async Task<string> RunAsync(int seed)
        {
            await using var sb = await TestSandbox.StartAsync(s =>
            {
                s.Seed = seed;
                s.Providers["nicepay"].Faults = new FaultSettings { Error500Rate = 0.3, Error429Rate = 0.2 };
            });
            var original = sb.AddOriginal("nicepay", 10_000m);
            var client = sb.Client("nicepay");
            var codes = new List<string?>();
            for (var i = 0; i < 40; i++)
            {
                codes.Add((await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original))).ResponseCode);
            }

            return string.Join(",", codes);
        }

        var first = await RunAsync(7);
        var again = await RunAsync(7);
        var other = await RunAsync(8);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.Contains("5005101", first, StringComparison.Ordinal);
        Assert.Contains("4295100", first, StringComparison.Ordinal);
        Assert.Contains("2005100", first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_inject_errors_at_roughly_the_configured_rate()
    {
        await using var sb = await TestSandbox.StartAsync(s => s.Providers["nicepay"].Faults = new FaultSettings { Error500Rate = 0.25 });
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");

        var answers = new List<SnapAnswer>();
        for (var i = 0; i < 400; i++)
        {
            answers.Add(await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original)));
        }

        var errors = answers.Count(a => a.HttpStatus == 500);
        Assert.InRange(errors, 60, 140);
    }

    [Fact]
    public async Task Should_leave_other_operations_alone_when_faults_target_refunds_only()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        sb.Handle.Faults.Set("nicepay", new FaultSettings { Error500Rate = 1, Operations = [SandboxOperation.Refund] });

        var token = await client.TokenAsync();
        var query = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original));
        var refund = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()));

        Assert.Equal("2007300", token.ResponseCode);
        Assert.Equal("2005100", query.ResponseCode);
        Assert.Equal("5007801", refund.ResponseCode);
    }

    [Fact]
    public async Task Should_fail_the_token_endpoint_when_faults_target_tokens()
    {
        await using var sb = await TestSandbox.StartAsync();
        sb.Handle.Faults.Set("bnc", new FaultSettings { Error504Rate = 1, Operations = [SandboxOperation.Token] });

        var answer = await sb.Client("bnc").TokenAsync();

        Assert.Equal("5047300", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_scripted_steps_in_order_then_normally_when_a_script_is_posted()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        await client.AccessTokenAsync();
        using var script = new StringContent(
            """{"operation":"Refund","steps":[{"kind":"Error503"},{"kind":"Respond","responseCode":"4037806"},{"kind":"LostResponse504"}]}""",
            System.Text.Encoding.UTF8,
            "application/json");
        using var posted = await sb.Http.PostAsync(new Uri(sb.Handle.BaseUrl, "_sandbox/faults/nicepay/script"), script);

        var first = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), "1.00"));
        var query = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original));
        var second = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), "2.00"));
        var third = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), "4.00"));
        var fourth = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), "8.00"));

        Assert.Equal(System.Net.HttpStatusCode.OK, posted.StatusCode);
        Assert.Equal(503, first.HttpStatus);
        Assert.Equal("2005100", query.ResponseCode);
        Assert.Equal("4037806", second.ResponseCode);
        Assert.Equal("5047800", third.ResponseCode);
        Assert.Equal("2007800", fourth.ResponseCode);
        Assert.Equal(12m, sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!.RefundedAmount);
        Assert.Empty(sb.Handle.Faults.PendingScript("nicepay", SandboxOperation.Refund));
    }

    [Fact]
    public async Task Should_answer_a_scripted_pending_code_when_the_script_says_202()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        sb.Handle.Faults.Script("nicepay", SandboxOperation.Refund, FaultStep.Respond("2027800", "Request In Progress"));

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()));

        Assert.Equal(202, answer.HttpStatus);
        Assert.Equal("2027800", answer.ResponseCode);
        Assert.Equal("Request In Progress", answer.Get("responseMessage"));
    }

    [Fact]
    public async Task Should_apply_configured_faults_from_the_start_when_settings_carry_them()
    {
        await using var sb = await TestSandbox.StartAsync(s => s.Providers["ifortepay"].Faults = new FaultSettings { Error429Rate = 1 });
        var original = sb.AddOriginal("ifortepay", 10_000m);

        var answer = await sb.Client("ifortepay").PostAsync(SandboxOperation.Cancel, Requests.Cancel(original));

        Assert.Equal("4297700", answer.ResponseCode);
    }

    [Theory]
    [InlineData(0.7, 0.4)]
    [InlineData(-0.1, 0)]
    [InlineData(1.5, 0)]
    public async Task Should_refuse_faults_and_keep_the_old_ones_when_the_rates_are_not_a_probability_split(double error500, double error503)
    {
        await using var sb = await TestSandbox.StartAsync();
        sb.Handle.Faults.Set("nicepay", new FaultSettings { Error429Rate = 0.1 });

        var ex = Record.Exception(() => sb.Handle.Faults.Set("nicepay", new FaultSettings { Error500Rate = error500, Error503Rate = error503 }));

        Assert.IsType<ArgumentException>(ex);
        Assert.Equal(0.1, sb.Handle.Faults.Get("nicepay").Error429Rate);
    }
}
