using System.Text.Json;
using Microsoft.Extensions.Options;

namespace RefundWorker.Admin;

/// <summary><c>POST /admin/dead-letters/{id}/validate</c>: the edited body to check, as it would be sent to replay.</summary>
public sealed record ValidateRequest(JsonElement? Body);

/// <summary>
/// The routes the ops console needs beyond the CLI's: who am I (so the page shows only what the key may do), one
/// overview, and an edited dead-letter body checked before it is sent. All three change nothing, so like every read
/// they need any operator's key and write no audit row; changes stay on the audited routes of <see cref="AdminEndpoints"/>.
/// </summary>
public static class AdminConsoleApi
{
    public static RouteGroupBuilder MapAdminConsoleApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/me", (HttpContext http, IOptions<AdminOptions> options) =>
        {
            var caller = AdminEndpoints.Caller(http);
            return Results.Json(new
            {
                name = caller.Name,
                role = caller.Role,
                mayChange = caller.MayChange,
                grafanaTraceUrl = options.Value.GrafanaTraceUrl,
                maxReplays = options.Value.MaxReplays,
            });
        });

        admin.MapGet("/summary", async (AdminSummary summary, CancellationToken ct) => Results.Json(await summary.GetAsync(ct)));

        admin.MapPost("/dead-letters/{id:guid}/validate", async (HttpContext http, Guid id, DeadLetterAdmin letters, CancellationToken ct) =>
        {
            ValidateRequest? request;
            try
            {
                request = http.Request.ContentLength is 0 ? null : await http.Request.ReadFromJsonAsync<ValidateRequest>(DeadLetterAdmin.Json, ct);
            }
            catch (JsonException e)
            {
                return AdminEndpoints.Problem(AdminOutcome.Invalid("body", "The request is not JSON: " + e.Message));
            }

            if (request?.Body is not { } body)
            {
                return AdminEndpoints.Problem(AdminOutcome.Invalid("body", "Send {\"body\": {...}}: the message to check."));
            }

            if (await letters.GetAsync(id, ct) is not Dictionary<string, object?> letter)
            {
                return AdminEndpoints.Problem(AdminOutcome.NotFound($"dead letter {id}"));
            }

            var messageType = letter["messageType"] as string;
            var queue = (string)letter["originalQueue"]!;
            // The same check the replay route makes, so a body that passes here is not refused there for its shape.
            return DeadLetterReplayer.ValidateEdited(messageType, queue, body) is { } invalid
                ? AdminEndpoints.Problem(invalid)
                : Results.Json(new { valid = true, contract = DeadLetterReplayer.ContractType(messageType, queue)?.Name });
        });

        return admin;
    }
}
