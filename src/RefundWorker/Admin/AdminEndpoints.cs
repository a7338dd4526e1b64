using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using RefundWorker.Admin.Persistence;

namespace RefundWorker.Admin;

/// <summary>
/// The admin API under <c>/admin</c>. Reads need any operator's key; changes need the <c>operator</c> role and a
/// reason. Every change and every refused change (401, 403, 400, 404, 409) is an <c>audit_log</c> row. Refusals are
/// RFC 9457 problems naming the field or the rule. Route names are a public interface: the CLI binds to them.
/// </summary>
public static class AdminEndpoints
{
    private const string CallerKey = "RefundWorker.Admin.Caller";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin");
        admin.AddEndpointFilter(AuthenticateAsync);

        admin.MapGet("/dead-letters", async (HttpContext http, DeadLetterAdmin letters, CancellationToken ct) =>
        {
            var bad = ParseFilter(http.Request.Query, out var filter) ?? Page(http.Request.Query, out var cursor, out var limit);
            if (bad is not null)
            {
                return Problem(bad);
            }

            Page(http.Request.Query, out cursor, out limit);

            return Results.Json(await letters.ListAsync(filter, cursor, limit, ct));
        });
        admin.MapGet("/dead-letters/groups", async (HttpContext http, DeadLetterAdmin letters, CancellationToken ct)
            => ParseFilter(http.Request.Query, out var filter) is { } bad ? Problem(bad) : Results.Json(await letters.GroupsAsync(filter, ct)));
        admin.MapGet("/dead-letters/{id:guid}", async (Guid id, DeadLetterAdmin letters, CancellationToken ct)
            => await letters.GetAsync(id, ct) is { } l ? Results.Json(l) : Problem(AdminOutcome.NotFound($"dead letter {id}")));

        admin.MapPost("/dead-letters/{id:guid}/replay", (HttpContext http, Guid id, DeadLetterReplayer replayer, DeadLetterAdmin letters) =>
            ChangeAsync<ReplayRequest>(http, "dead-letter.replay", $"dead-letter:{id}", r => r.Reason, async (caller, req, reason, ct) =>
            {
                if (req.Body is { } body)
                {
                    var letter = await letters.GetAsync(id, ct) as Dictionary<string, object?>;
                    if (letter is null)
                    {
                        return AdminOutcome.NotFound($"dead letter {id}");
                    }

                    if (DeadLetterReplayer.ValidateEdited(letter["messageType"] as string, (string)letter["originalQueue"]!, body) is { } invalid)
                    {
                        return invalid;
                    }
                }

                var result = (await replayer.ReplayAsync([id], caller, reason, req.Force, req.Body, null, RequestId(http), ct)).Single();
                return result.Result switch
                {
                    DeadLetterReplayer.Replayed => AdminOutcome.Ok(result),
                    DeadLetterReplayer.Failed => new AdminOutcome(502, Title: "Replay not confirmed by RabbitMQ", Detail: result.Detail, Rule: "broker"),
                    _ when result.Rule == "exists" => AdminOutcome.NotFound($"dead letter {id}"),
                    _ => AdminOutcome.Conflict(result.Rule!, result.Detail!),
                };
            }));

        admin.MapPost("/dead-letters/replay", (HttpContext http, DeadLetterAdmin letters, AdminJobs jobs) =>
            ChangeAsync<BulkRequest>(http, "dead-letters.replay-bulk", "dead-letters", r => r.Reason, async (caller, req, reason, ct) =>
            {
                if (CheckBulk(req) is { } invalid)
                {
                    return invalid;
                }

                var selected = await letters.SelectAsync(req.Ids, req.Filter?.ToFilter() ?? new DeadLetterFilter(), ct);
                if (req.DryRun)
                {
                    return AdminOutcome.Ok(letters.Plan(selected, req.Force));
                }

                var job = await jobs.StartReplayAsync([.. selected.Select(s => s.Id)], caller, reason, req.Force, req, RequestId(http), ct);
                return AdminOutcome.Accepted(new { jobId = job, letters = selected.Count, status = $"/admin/jobs/{job}" });
            }, auditOk: false));

        admin.MapPost("/dead-letters/{id:guid}/discard", (HttpContext http, Guid id, DeadLetterAdmin letters) =>
            ChangeAsync<ReasonRequest>(http, "dead-letter.discard", $"dead-letter:{id}", r => r.Reason, async (caller, _, reason, ct) =>
            {
                var (discarded, already) = await letters.DiscardAsync([id], caller, reason, RequestId(http), ct);
                if (discarded == 1)
                {
                    return AdminOutcome.Ok(new { id, status = DeadLetterStatus.Discarded });
                }

                return await letters.GetAsync(id, ct) is null ? AdminOutcome.NotFound($"dead letter {id}") : AdminOutcome.Conflict("already-discarded", "The letter is already discarded.");
            }, auditOk: false));

        admin.MapPost("/dead-letters/discard", (HttpContext http, DeadLetterAdmin letters) =>
            ChangeAsync<BulkRequest>(http, "dead-letters.discard-bulk", "dead-letters", r => r.Reason, async (caller, req, reason, ct) =>
            {
                if (CheckBulk(req) is { } invalid)
                {
                    return invalid;
                }

                var selected = (await letters.SelectAsync(req.Ids, req.Filter?.ToFilter() ?? new DeadLetterFilter(), ct))
                    .Where(l => l.Status != DeadLetterStatus.Discarded).ToList();
                if (req.DryRun)
                {
                    return AdminOutcome.Ok(new { dryRun = true, matched = selected.Count, wouldDiscard = selected.Count, ids = selected.Select(s => s.Id).Take(1000) });
                }

                var (discarded, _) = await letters.DiscardAsync([.. selected.Select(s => s.Id)], caller, reason, RequestId(http), ct);
                return AdminOutcome.Ok(new { discarded });
            }, auditOk: false));

        admin.MapGet("/jobs/{id:guid}", async (Guid id, AdminJobs jobs, CancellationToken ct)
            => await jobs.GetAsync(id, ct) is { } job ? Results.Json(job) : Problem(AdminOutcome.NotFound($"job {id}")));

        admin.MapGet("/operations", async (HttpContext http, OperationAdmin ops, CancellationToken ct) =>
        {
            var q = http.Request.Query;
            if (Page(q, out var cursor, out var limit) is { } badPage)
            {
                return Problem(badPage);
            }

            var state = Str(q, "state");
            if (state is not null && !OperationAdmin.States.Contains(state))
            {
                return Problem(AdminOutcome.Invalid("state", "state must be one of " + string.Join(", ", OperationAdmin.States) + "."));
            }

            var kind = Str(q, "kind");
            if (kind is not null and not ("refund" or "cancel"))
            {
                return Problem(AdminOutcome.Invalid("kind", "kind must be refund or cancel."));
            }

            TimeSpan? olderThan = null;
            if (Str(q, "olderThan") is { } age)
            {
                if (ParseAge(age) is not { } parsed)
                {
                    return Problem(AdminOutcome.Invalid("olderThan", "olderThan is a duration: 30m, 2h, 7d or 1.02:00:00."));
                }

                olderThan = parsed;
            }

            return Results.Json(await ops.ListAsync(new OperationFilter(state, kind, Str(q, "provider"), Str(q, "key"), olderThan), cursor, limit, ct));
        });
        admin.MapGet("/operations/{id:guid}", async (Guid id, OperationAdmin ops, CancellationToken ct)
            => await ops.GetAsync(id, ct) is { } op ? Results.Json(op) : Problem(AdminOutcome.NotFound($"operation {id}")));
        admin.MapGet("/operations/by-key/{provider}/{key}", async (string provider, string key, HttpContext http, OperationAdmin ops, CancellationToken ct)
            => await ops.FindByKeyAsync(provider, key, Str(http.Request.Query, "merchantId"), ct) is { } id && await ops.GetAsync(id, ct) is { } op
                ? Results.Json(op)
                : Problem(AdminOutcome.NotFound($"operation with key {provider}/{key}")));

        admin.MapPost("/operations/{id:guid}/reconcile", (HttpContext http, Guid id, OperationAdmin ops) =>
            ChangeAsync<ReasonRequest>(http, "operation.reconcile", $"operation:{id}", r => r.Reason,
                (caller, _, reason, ct) => ops.ReconcileAsync(id, caller, reason, RequestId(http), ct), auditOk: false));
        admin.MapPost("/operations/{id:guid}/resolve", (HttpContext http, Guid id, OperationAdmin ops) =>
            ChangeAsync<ResolveRequest>(http, "operation.resolve", $"operation:{id}", r => r.Reason,
                (caller, req, reason, ct) => ops.ResolveAsync(id, req.Outcome ?? string.Empty, req.ReferenceNo, req.Evidence ?? string.Empty, caller, reason, RequestId(http), ct),
                auditOk: false));

        admin.MapGet("/providers", async (OperationAdmin ops, CancellationToken ct) => Results.Json(await ops.PausesAsync(ct)));
        admin.MapPost("/providers/{name}/pause", (HttpContext http, string name, OperationAdmin ops) =>
            ChangeAsync<ReasonRequest>(http, "provider.pause", $"provider:{name}", r => r.Reason,
                (caller, _, reason, ct) => ops.SetPauseAsync(name, pause: true, caller, reason, RequestId(http), ct), auditOk: false));
        admin.MapPost("/providers/{name}/resume", (HttpContext http, string name, OperationAdmin ops) =>
            ChangeAsync<ReasonRequest>(http, "provider.resume", $"provider:{name}", r => r.Reason,
                (caller, _, reason, ct) => ops.SetPauseAsync(name, pause: false, caller, reason, RequestId(http), ct), auditOk: false));

        admin.MapGet("/audit", async (HttpContext http, NpgsqlDataSource dataSource, CancellationToken ct) =>
        {
            var q = http.Request.Query;
            if (Page(q, out _, out var limit) is { } badPage)
            {
                return Problem(badPage);
            }

            await using var cmd = dataSource.CreateCommand();
            var sql = new System.Text.StringBuilder("SELECT id, at, actor, role, action, reason, outcome, status_code, detail::text, request_id, target FROM audit_log WHERE true");
            void Add(string column, string? value, string op = "=")
            {
                if (value is not null)
                {
                    cmd.Parameters.Add(new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlDbType.Text });
                    sql.Append($" AND {column} {op} ${cmd.Parameters.Count}");
                }
            }

            Add("actor", Str(q, "actor"));
            Add("action", Str(q, "action"));
            Add("target", Str(q, "target"));
            if (Str(q, "since") is { } s)
            {
                if (!DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since))
                {
                    return Problem(AdminOutcome.Invalid("since", "since must be an ISO 8601 time."));
                }

                cmd.Parameters.Add(new NpgsqlParameter { Value = since, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                sql.Append($" AND at >= ${cmd.Parameters.Count}");
            }

            if (Str(q, "cursor") is { } c)
            {
                if (!long.TryParse(c, CultureInfo.InvariantCulture, out var before))
                {
                    return Problem(AdminOutcome.Invalid("cursor", "cursor is the nextCursor of the previous page."));
                }

                cmd.Parameters.Add(new NpgsqlParameter { Value = before, NpgsqlDbType = NpgsqlDbType.Bigint });
                sql.Append($" AND id < ${cmd.Parameters.Count}");
            }

            cmd.Parameters.Add(new NpgsqlParameter { Value = limit + 1, NpgsqlDbType = NpgsqlDbType.Integer });
            sql.Append($" ORDER BY id DESC LIMIT ${cmd.Parameters.Count}");
            cmd.CommandText = sql.ToString();
            var rows = new List<(long Id, object Row)>();
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var row = OperationAdmin.AuditRow(r);
                rows.Add((r.GetInt64(0), new { entry = row, target = r.GetString(10) }));
            }

            var items = rows.Take(limit).Select(x => x.Row);
            return Results.Json(new { items, nextCursor = rows.Count > limit ? rows[limit - 1].Id.ToString(CultureInfo.InvariantCulture) : null });
        });
        return admin;
    }

    /// <summary>The authenticated caller of an /admin request (set by the group's filter).</summary>
    public static AdminCaller Caller(HttpContext http) => (AdminCaller)http.Items[CallerKey]!;

    private static AdminOutcome? CheckBulk(BulkRequest req)
    {
        if (req.Ids is not { Count: > 0 } && (req.Filter is null || req.Filter.ToFilter().IsEmpty))
        {
            return AdminOutcome.Invalid("filter", "Name the letters: ids, or a filter (queue, messageType, fingerprint, status, since, until).");
        }

        return req.Filter?.ToFilter().Validate();
    }

    /// <summary>
    /// Authenticates every /admin request. A request without a valid key is refused with 401 before anything else;
    /// on a change route the refusal is audited (as "(anonymous)", with the route, never with what was presented).
    /// </summary>
    private static async ValueTask<object?> AuthenticateAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var caller = http.RequestServices.GetRequiredService<AdminAuthenticator>().Authenticate(http.Request.Headers.Authorization.ToString());
        if (caller is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            var outcome = new AdminOutcome(401, Title: "Unauthorized", Detail: "A valid operator key is required (Authorization: Bearer <key>).", Rule: "authentication");
            if (HttpMethods.IsPost(http.Request.Method))
            {
                await http.RequestServices.GetRequiredService<AuditLog>().AppendAsync(new AuditRecord(AdminCaller.Anonymous,
                    ActionOf(http), http.Request.Path.ToString(), null, AuditLog.Refused, 401, new { rule = "authentication" }, RequestId(http)), http.RequestAborted);
            }

            return Problem(outcome);
        }

        http.Items[CallerKey] = caller;
        return await next(context);
    }

    private static string ActionOf(HttpContext http)
    {
        var path = http.Request.Path.ToString();
        var last = path.TrimEnd('/').Split('/')[^1];
        return path.Contains("/dead-letters", StringComparison.Ordinal) ? $"dead-letter.{last}"
            : path.Contains("/operations", StringComparison.Ordinal) ? $"operation.{last}"
            : path.Contains("/providers", StringComparison.Ordinal) ? $"provider.{last}"
            : "admin." + last;
    }

    /// <summary>
    /// One change: operator role, a readable body, a reason, then the action. Refusals are audited here; a successful
    /// change writes its own audit row inside its transaction (<paramref name="auditOk"/> false) or gets one here.
    /// </summary>
    private static async Task<IResult> ChangeAsync<TRequest>(HttpContext http, string action, string target, Func<TRequest, string?> reasonOf,
        Func<AdminCaller, TRequest, string, CancellationToken, Task<AdminOutcome>> change, bool auditOk = false)
        where TRequest : class
    {
        var caller = (AdminCaller)http.Items[CallerKey]!;
        var auditLog = http.RequestServices.GetRequiredService<AuditLog>();
        var ct = http.RequestAborted;
        string? reason = null;
        AdminOutcome outcome;
        if (!caller.MayChange)
        {
            outcome = new AdminOutcome(403, Title: "Forbidden", Detail: $"{caller.Name} has the {caller.Role} role; changes need the operator role.", Rule: "role");
        }
        else
        {
            TRequest? request = null;
            try
            {
                request = http.Request.ContentLength is 0 ? null : await http.Request.ReadFromJsonAsync<TRequest>(Json, ct);
            }
            catch (JsonException e)
            {
                outcome = AdminOutcome.Invalid(e.Path is { Length: > 2 } p ? p[2..] : "body", "The request body is not valid JSON for this route: " + e.Message);
                goto refused;
            }

            if (request is null)
            {
                outcome = AdminOutcome.Invalid("reason", "A JSON body with a reason is required.");
                goto refused;
            }

            reason = reasonOf(request)?.Trim();
            if (string.IsNullOrEmpty(reason))
            {
                outcome = AdminOutcome.Invalid("reason", "reason is required for every change: it goes to the audit log.");
                goto refused;
            }

            if (reason.Length > 2000)
            {
                outcome = AdminOutcome.Invalid("reason", "reason is at most 2000 characters.");
                goto refused;
            }

            outcome = await change(caller, request, reason, ct);
            if (outcome.IsOk)
            {
                if (auditOk)
                {
                    await auditLog.AppendAsync(new AuditRecord(caller, action, target, reason, AuditLog.Ok, outcome.Status, null, RequestId(http)), ct);
                }

                return Results.Json(outcome.Value, statusCode: outcome.Status);
            }
        }

    refused:
        await auditLog.AppendAsync(new AuditRecord(caller, action, target, reason, AuditLog.Refused, outcome.Status,
            new { rule = outcome.Rule, field = outcome.Field, detail = outcome.Detail }, RequestId(http)), ct);
        return Problem(outcome);
    }

    public static IResult Problem(AdminOutcome o)
    {
        var extensions = new Dictionary<string, object?>();
        if (o.Field is not null)
        {
            extensions["field"] = o.Field;
        }

        if (o.Rule is not null)
        {
            extensions["rule"] = o.Rule;
        }

        return Results.Problem(o.Detail, statusCode: o.Status, title: o.Title, extensions: extensions);
    }

    private static string RequestId(HttpContext http)
        => http.Request.Headers["X-Request-Id"].ToString() is { Length: > 0 and <= 128 } id ? id : http.TraceIdentifier;

    private static string? Str(IQueryCollection q, string name) => q[name].ToString() is { Length: > 0 } v ? v : null;

    private static AdminOutcome? ParseFilter(IQueryCollection q, out DeadLetterFilter filter)
    {
        filter = new DeadLetterFilter { Queue = Str(q, "queue"), MessageType = Str(q, "messageType"), Fingerprint = Str(q, "fingerprint"), Status = Str(q, "status") };
        foreach (var name in new[] { "since", "until" })
        {
            if (Str(q, name) is { } s)
            {
                if (!DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
                {
                    return AdminOutcome.Invalid(name, $"{name} must be an ISO 8601 time.");
                }

                filter = name == "since" ? filter with { Since = t } : filter with { Until = t };
            }
        }

        return filter.Validate();
    }

    private static AdminOutcome? Page(IQueryCollection q, out Guid? cursor, out int limit)
    {
        cursor = null;
        limit = 50;
        if (Str(q, "limit") is { } l && (!int.TryParse(l, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
        {
            return AdminOutcome.Invalid("limit", "limit is between 1 and 1000.");
        }

        if (Str(q, "cursor") is { } c && Guid.TryParse(c, out var g))
        {
            cursor = g;
        }

        return null;
    }

    /// <summary>30m, 2h, 7d, or a TimeSpan (1.02:00:00).</summary>
    public static TimeSpan? ParseAge(string s)
    {
        if (s.Length > 1 && double.TryParse(s[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0)
        {
            switch (s[^1])
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
                case 'd': return TimeSpan.FromDays(n);
            }
        }

        return TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var t) && t >= TimeSpan.Zero ? t : null;
    }
}
