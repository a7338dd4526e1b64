namespace RefundWorker.Admin;

/// <summary>
/// What an admin action came to: a value, or a refusal with its HTTP status and the field or rule it broke (sent as an
/// RFC 9457 problem, and written to the audit log as a refused attempt).
/// </summary>
public sealed record AdminOutcome(int Status, object? Value = null, string? Title = null, string? Detail = null, string? Field = null, string? Rule = null)
{
    public bool IsOk => Status is >= 200 and < 300;

    public static AdminOutcome Ok(object? value) => new(200, value);

    public static AdminOutcome Accepted(object? value) => new(202, value);

    public static AdminOutcome NotFound(string what) => new(404, Title: "Not found", Detail: $"No {what}.", Rule: "exists");

    public static AdminOutcome Invalid(string field, string detail) => new(400, Title: "Invalid request", Detail: detail, Field: field);

    public static AdminOutcome Conflict(string rule, string detail) => new(409, Title: "Not allowed in this state", Detail: detail, Rule: rule);
}
