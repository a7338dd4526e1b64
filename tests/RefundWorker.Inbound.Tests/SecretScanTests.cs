using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RefundWorker.Contracts;
using RefundWorker.Snap;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Inbound.Tests;

/// <summary>
/// After a refund run and an inbound run (token, inquiries good and bad, an admin call), none of the secrets the
/// worker was given or handed out appears in anything it wrote: captured log lines, span names, tags, events and
/// links, and every text or JSON column of every table in its database.
/// </summary>
[Collection(InboundCollection.Name)]
public sealed class SecretScanTests(SecretScanFixture fixture) : IClassFixture<SecretScanFixture>
{
    [Fact]
    public async Task Should_write_no_secret_token_or_private_key_to_logs_spans_or_database_when_serving_refunds_and_inquiries()
    {
        var worker = fixture.Worker;
        var address = WorkerFixture.AddressOf(worker);

        // A refund, end to end against the sandbox.
        var original = fixture.Sandbox.Original("nicepay");
        var refund = Requests.NicepayRefund(original);
        await fixture.Outcomes.Bus.Publish(refund);
        await fixture.Outcomes.WaitForAsync<RefundSucceeded>(refund.RequestId, WorkerFixture.OutcomeTimeout);
        var providers = worker.Services.GetRequiredService<SnapProviderRegistry>();
        var receivedToken = await worker.Services.GetRequiredService<SnapAccessTokenProvider>().GetAsync(providers.Get("nicepay"), CancellationToken.None);

        // NICEPAY's side: a token, a good inquiry, one signed with the wrong secret, one with a made-up token.
        var code = new CvsPaymentCodeIssuedBuilder(TimeProvider.System).Build();
        await using (var scope = worker.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<CvsPaymentCodeStore>().UpsertIssuedAsync(code, DateTimeOffset.UtcNow, CancellationToken.None);
        }

        using var http = new HttpClient { BaseAddress = address };
        var caller = new NicepayCaller(http, TimeProvider.System, SecretScanFixture.InboundClientId, SecretScanFixture.InboundClientId, fixture.NicepayKey, Mode.Symmetric, fixture.InboundSecret);
        var wrongSecret = new NicepayCaller(http, TimeProvider.System, SecretScanFixture.InboundClientId, SecretScanFixture.InboundClientId, fixture.NicepayKey, Mode.Symmetric, fixture.InboundSecret + "x");
        var issuedToken = await caller.TokenAsync();
        Assert.Equal("2000000", (await caller.SendAsync(caller.Inquiry(issuedToken, InquiryBody.For(code.PayNo)))).ResponseCode);
        Assert.Equal("4012400", (await wrongSecret.SendAsync(wrongSecret.Inquiry(issuedToken, InquiryBody.For(code.PayNo)))).ResponseCode);
        Assert.Equal("4012401", (await caller.SendAsync(caller.Inquiry(issuedToken + "0", InquiryBody.For(code.PayNo)))).ResponseCode);

        // The on-call API, with the operator's key (an unknown job: accepted key, 404).
        using (var admin = new HttpRequestMessage(HttpMethod.Get, $"/admin/jobs/{Guid.NewGuid()}"))
        {
            admin.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.AdminKey);
            using var answer = await http.SendAsync(admin);
            Assert.DoesNotContain(answer.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden });
        }

        // Nothing consumes CvsInquiryAnswered here, so its outbox row may stay unrouted rather than drain; the row is
        // scanned either way. A moment lets the dispatcher try it (and log what it logs about it).
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.True(await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM outbox WHERE type LIKE '%CvsInquiryAnswered'") >= 1);

        var secrets = Secrets(receivedToken, issuedToken);
        var found = new List<string>();
        foreach (var line in fixture.Logs.Lines)
        {
            found.AddRange(secrets.Where(s => line.Contains(s.Value, StringComparison.Ordinal)).Select(s => $"log: {s.Name} in {Shorten(line)}"));
        }

        var spans = fixture.Spans.Snapshot();

        Assert.NotEmpty(spans);
        foreach (var span in spans)
        {
            foreach (var text in SpanTexts(span))
            {
                found.AddRange(secrets.Where(s => text.Contains(s.Value, StringComparison.Ordinal)).Select(s => $"span {span.DisplayName}: {s.Name} in {Shorten(text)}"));
            }
        }

        var columns = await TextColumnsAsync();
        Assert.Contains(columns, c => c.Table == "cvs_inquiries");
        foreach (var (table, column) in columns)
        {
            foreach (var (name, value) in secrets)
            {
                var hits = await fixture.Database.ScalarAsync<long>($"SELECT count(*) FROM \"{table}\" WHERE strpos(\"{column}\"::text, $1) > 0", value);
                if (hits > 0)
                {
                    found.Add($"database: {name} in {table}.{column} ({hits} rows)");
                }
            }
        }

        Assert.True(found.Count == 0, string.Join(Environment.NewLine, found));

        // The same searches do find what is meant to be there, so an empty result above is not a blind scan.
        Assert.Contains(fixture.Logs.Lines, l => l.Contains(code.PayNo, StringComparison.Ordinal));
        Assert.Contains(spans, s => SpanTexts(s).Any(t => t.Contains("/api/v1.0/cvs/inquiry", StringComparison.Ordinal)));
        Assert.True(await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM \"cvs_inquiries\" WHERE strpos(\"response_body\"::text, $1) > 0", code.PayNo) > 0);
    }

    /// <summary>Everything secret the worker was given or handed out; private keys as each line of their PEM body.</summary>
    private List<(string Name, string Value)> Secrets(string receivedToken, string issuedToken)
    {
        var secrets = new List<(string, string)>
        {
            ("inbound client secret", fixture.InboundSecret),
            ("admin key", fixture.AdminKey),
            ("bearer token received from the sandbox", receivedToken),
            ("bearer token issued to NICEPAY", issuedToken),
        };
        secrets.AddRange(fixture.Sandbox.Providers.Values.Select(p => ($"client secret of {p.ClientId}", p.ClientSecret)));
        secrets.AddRange(PemBody(fixture.Keys.PrivateKeyPem).Select((l, i) => ($"merchant private key line {i}", l)));
        secrets.AddRange(PemBody(fixture.NicepayKey.ExportPkcs8PrivateKeyPem()).Select((l, i) => ($"NICEPAY private key line {i}", l)));
        return [.. secrets.Where(s => s.Item2.Length >= 12)];
    }

    // Full 64-character base64 lines only: shorter ones (the last) could match by chance.
    private static IEnumerable<string> PemBody(string pem)
        => pem.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("-----", StringComparison.Ordinal) && l.Length == 64);

    private static IEnumerable<string> SpanTexts(Activity span)
    {
        yield return span.DisplayName;
        yield return span.StatusDescription ?? "";
        foreach (var (key, value) in span.TagObjects)
        {
            yield return $"{key}={value}";
        }

        foreach (var (key, value) in span.Baggage)
        {
            yield return $"{key}={value}";
        }

        foreach (var e in span.Events)
        {
            yield return e.Name;
            foreach (var (key, value) in e.Tags)
            {
                yield return $"{key}={value}";
            }
        }
    }

    private async Task<List<(string Table, string Column)>> TextColumnsAsync()
    {
        var columns = new List<(string, string)>();
        await using var cmd = fixture.Database.DataSource.CreateCommand(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            + "AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb') ORDER BY 1, 2");
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            columns.Add((reader.GetString(0), reader.GetString(1)));
        }

        return columns;
    }

    private static string Shorten(string s) => s.Length <= 300 ? s : s[..300] + "…";
}
