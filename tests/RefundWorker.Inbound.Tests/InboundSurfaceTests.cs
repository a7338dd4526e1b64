using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RefundWorker.InboundHosting;

namespace RefundWorker.Inbound.Tests;

/// <summary>
/// What the inbound endpoints give away to a caller who is not a partner, and what they tell the operator at start.
/// </summary>
[Collection(InboundCollection.Name)]
public sealed class InboundSurfaceTests(InboundHost host) : IClassFixture<InboundHost>
{
    [Fact]
    public async Task Should_answer_an_unknown_X_CLIENT_KEY_exactly_as_a_signature_that_does_not_verify()
    {
        using var unknown = await host.Symmetric.RequestTokenAsync(clientKey: "NOSUCHCLIENT");
        using var badSignature = await host.Symmetric.RequestTokenAsync(key: host.StrangerKey);

        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(badSignature.StatusCode, unknown.StatusCode);
        Assert.Equal(await badSignature.Content.ReadAsStringAsync(), await unknown.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Should_take_about_as_long_for_an_unknown_X_CLIENT_KEY_as_for_a_signature_that_does_not_verify()
    {
        // Interleaved, so a burst of load on the shared machine hits both kinds alike; medians, so a few slow calls
        // do not decide. The factor is generous: the test catches a path that skips the verification's work or
        // does far more, not microseconds.
        const int Calls = 60;
        var unknown = new List<double>(Calls);
        var badSignature = new List<double>(Calls);
        for (var i = 0; i < Calls + 10; i++)
        {
            var u = await TimeAsync(() => host.Symmetric.RequestTokenAsync(clientKey: "NOSUCHCLIENT" + (i % 7)));
            var b = await TimeAsync(() => host.Symmetric.RequestTokenAsync(key: host.StrangerKey));
            if (i >= 10)
            {
                unknown.Add(u);
                badSignature.Add(b);
            }
        }

        var ratio = Median(unknown) / Median(badSignature);
        Assert.True(ratio is > 0.5 and < 2.0, $"median unknown client {Median(unknown):F2} ms, median bad signature {Median(badSignature):F2} ms (ratio {ratio:F2})");
    }

    [Fact]
    public void Should_warn_at_start_about_each_partner_whose_signature_does_not_cover_the_body()
    {
        var warnings = host.Logs.Lines.Where(l => l.StartsWith("Warning ", StringComparison.Ordinal) && l.Contains("does not cover the body", StringComparison.Ordinal)).ToList();

        var warning = Assert.Single(warnings);
        Assert.Contains("nicepay-rsa", warning, StringComparison.Ordinal);
        Assert.Contains("AsymmetricClientIdTimestamp", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_reach_PostgreSQL_through_a_pool_of_its_own_capped_by_Inbound_MaxDatabaseConnections()
    {
        var inbound = host.Services.GetRequiredService<InboundConnections>().DataSource;
        var pipeline = host.Services.GetRequiredService<NpgsqlDataSource>();
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();
        await host.IssueAsync(code);
        var caller = host.Symmetric;

        var answer = await caller.SendAsync(caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(code.PayNo)));

        Assert.Equal("2000000", answer.ResponseCode);
        Assert.NotSame(pipeline, inbound);
        Assert.Equal(20, new NpgsqlConnectionStringBuilder(inbound.ConnectionString).MaxPoolSize);
        var inboundSessions = await host.CountAsync(
            $"SELECT count(*)::int AS \"Value\" FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'RefundWorker.Inbound'");
        Assert.InRange(inboundSessions, 1, 20);
    }

    private static async Task<double> TimeAsync(Func<Task<HttpResponseMessage>> call)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await call();
        _ = await response.Content.ReadAsByteArrayAsync();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
