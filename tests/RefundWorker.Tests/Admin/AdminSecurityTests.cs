using System.Net;
using System.Net.Http.Json;
using Npgsql;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Admin;

/// <summary>
/// Authentication and the audit trail: 401 without a valid key, 403 for a reader's change, an audit row for every
/// change and every refusal, an audit log the database itself keeps append-only, and no key in any log line or table.
/// </summary>
[Collection(AdminCollection.Name)]
public sealed class AdminSecurityTests(AdminFixture fx)
{
    [Fact]
    public async Task Should_answer_401_without_a_valid_key_and_audit_the_refused_change_as_anonymous()
    {
        using var none = fx.Client(null);
        using var wrong = fx.Client(fx.WrongKey);

        using var r1 = await none.GetAsync("/admin/dead-letters");
        using var r2 = await wrong.GetAsync("/admin/operations");
        var requestId = Guid.NewGuid().ToString();
        using var post = new HttpRequestMessage(HttpMethod.Post, "/admin/providers/nicepay/pause") { Content = JsonContent.Create(new { reason = "let me in" }) };
        post.Headers.Add("X-Request-Id", requestId);
        using var r3 = await wrong.SendAsync(post);

        Assert.Equal(HttpStatusCode.Unauthorized, r1.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, r2.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, r3.StatusCode);
        Assert.Equal("application/problem+json", r1.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Bearer", r1.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        var row = await AuditRowAsync(requestId);
        Assert.Equal(("(anonymous)", "refused", 401), (row.Actor, row.Outcome, row.Status));
        Assert.Equal("provider.pause", row.Action);
        // The refused change changed nothing (other tests of this collection may pause and resume providers).
        Assert.Equal(0L, await fx.Database.ScalarAsync<long>("SELECT count(*) FROM provider_pauses WHERE reason = 'let me in'"));
    }

    [Fact]
    public async Task Should_answer_403_to_a_reader_attempting_a_change_and_audit_it_while_letting_them_read()
    {
        using var reader = fx.Client(fx.ReaderKey);
        var requestId = Guid.NewGuid().ToString();
        using var post = new HttpRequestMessage(HttpMethod.Post, "/admin/providers/nicepay/pause") { Content = JsonContent.Create(new { reason = "incident" }) };
        post.Headers.Add("X-Request-Id", requestId);

        using var refused = await reader.SendAsync(post);
        using var read = await reader.GetAsync("/admin/audit");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var row = await AuditRowAsync(requestId);
        Assert.Equal((AdminFixture.ReaderName, "reader", "refused", 403), (row.Actor, row.Role, row.Outcome, row.Status));
        Assert.Equal("provider:nicepay", row.Target);
        Assert.Equal(0L, await fx.Database.ScalarAsync<long>("SELECT count(*) FROM provider_pauses WHERE paused"));
    }

    [Fact]
    public async Task Should_write_one_audit_row_for_every_change_and_every_refusal()
    {
        using var op = fx.Client(fx.OperatorKey);
        using var reader = fx.Client(fx.ReaderKey);
        var cases = new (HttpClient Client, string Path, object Body, string Outcome, int Status)[]
        {
            (op, "/admin/providers/no-such-psp/pause", new { reason = "typo" }, "refused", 404),
            (op, "/admin/providers/nicepay-breaker/pause", new { reason = "" }, "refused", 400),
            (op, "/admin/providers/nicepay-breaker/pause", new { reason = "provider incident INC-42" }, "ok", 200),
            (op, "/admin/providers/nicepay-breaker/pause", new { reason = "twice" }, "refused", 409),
            (reader, "/admin/providers/nicepay-breaker/resume", new { reason = "not mine to do" }, "refused", 403),
            (op, "/admin/providers/nicepay-breaker/resume", new { reason = "INC-42 resolved" }, "ok", 200),
            (op, $"/admin/operations/{Guid.NewGuid()}/reconcile", new { reason = "which one?" }, "refused", 404),
            (op, $"/admin/dead-letters/{Guid.NewGuid()}/discard", new { reason = "gone" }, "refused", 404),
        };

        foreach (var (client, path, body, outcome, status) in cases)
        {
            var requestId = Guid.NewGuid().ToString();
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
            request.Headers.Add("X-Request-Id", requestId);
            using var response = await client.SendAsync(request);

            Assert.Equal(status, (int)response.StatusCode);
            var row = await AuditRowAsync(requestId);
            Assert.Equal((outcome, status), (row.Outcome, row.Status));
        }
    }

    [Fact]
    public async Task Should_refuse_to_update_delete_or_truncate_the_audit_log_in_the_database()
    {
        using var op = fx.Client(fx.OperatorKey);
        await op.PostAsync("/admin/providers/nicepay-tokens/resume", new { reason = "make a row" });
        var before = await fx.Database.ScalarAsync<long>("SELECT count(*) FROM audit_log");
        Assert.True(before > 0);

        foreach (var sql in new[] { "UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log", "TRUNCATE audit_log" })
        {
            var e = await Assert.ThrowsAsync<PostgresException>(async () =>
            {
                await using var cmd = fx.Database.DataSource.CreateCommand(sql);
                await cmd.ExecuteNonQueryAsync();
            });
            Assert.Contains("append-only", e.MessageText, StringComparison.Ordinal);
        }

        Assert.Equal(before, await fx.Database.ScalarAsync<long>("SELECT count(*) FROM audit_log"));
        Assert.Equal(0L, await fx.Database.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE actor = 'mallory'"));
    }

    [Fact]
    public async Task Should_leave_no_key_in_any_log_line_or_table()
    {
        // Every key in play, on reads, changes and refusals.
        foreach (var key in new[] { fx.OperatorKey, fx.ReaderKey, fx.WrongKey })
        {
            using var http = fx.Client(key);
            await http.GetAsync("/admin/dead-letters");
            await http.PostAsync("/admin/providers/nicepay-tokens/pause", new { reason = "key scan" });
            await http.PostAsync("/admin/providers/nicepay-tokens/resume", new { reason = "key scan" });
        }

        Assert.NotEmpty(fx.Logs.Lines);
        foreach (var key in new[] { fx.OperatorKey, fx.ReaderKey, fx.WrongKey })
        {
            Assert.DoesNotContain(fx.Logs.Lines, l => l.Contains(key, StringComparison.Ordinal));
            foreach (var table in await TablesAsync())
            {
                Assert.Equal(0L, await fx.Database.ScalarAsync<long>($"SELECT count(*) FROM \"{table}\" t WHERE t::text LIKE '%' || $1 || '%'", key));
            }
        }
    }

    private async Task<List<string>> TablesAsync()
    {
        await using var cmd = fx.Database.DataSource.CreateCommand("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'");
        var tables = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            tables.Add(r.GetString(0));
        }

        Assert.Contains("audit_log", tables);
        return tables;
    }

    private async Task<(string Actor, string? Role, string Action, string Target, string Outcome, int Status)> AuditRowAsync(string requestId)
    {
        await using var cmd = fx.Database.DataSource.CreateCommand("SELECT actor, role, action, target, outcome, status_code FROM audit_log WHERE request_id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = requestId });
        await using var r = await cmd.ExecuteReaderAsync();
        Assert.True(await r.ReadAsync(), $"no audit row for request {requestId}");
        var row = (r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt32(5));
        Assert.False(await r.ReadAsync(), $"more than one audit row for request {requestId}");
        return row;
    }
}
