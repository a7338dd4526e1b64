using Microsoft.Extensions.Options;

namespace RefundWorker.Admin;

/// <summary>Checks <c>Admin:*</c> at start; every failure names its key (never a key's value).</summary>
public sealed class AdminOptionsValidator : IValidateOptions<AdminOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminOptions o)
    {
        var failures = new List<string>();
        foreach (var (op, settings) in o.Operators)
        {
            var prefix = $"Admin:Operators:{op}:";
            if (settings.KeyHash is not { Length: 64 } h || !h.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f'))
            {
                failures.Add(prefix + "KeyHash must be the lowercase hex SHA-256 (64 characters) of the operator's key, not the key.");
            }

            if (settings.Role is not (AdminRoles.Reader or AdminRoles.Operator))
            {
                failures.Add(prefix + "Role must be 'reader' or 'operator'.");
            }
        }

        var hashes = o.Operators.Values.Select(v => v.KeyHash).Where(h => h.Length > 0).ToList();
        if (hashes.Count != hashes.Distinct(StringComparer.Ordinal).Count())
        {
            failures.Add("Admin:Operators: two operators share a key; each needs their own, so the audit log can tell them apart.");
        }

        if (o.DeadLetterRetention <= TimeSpan.Zero)
        {
            failures.Add("Admin:DeadLetterRetention must be positive.");
        }

        if (o.MaxReplays < 1)
        {
            failures.Add("Admin:MaxReplays must be at least 1.");
        }

        if (o.DrainInterval <= TimeSpan.Zero || o.PauseRefreshInterval <= TimeSpan.Zero)
        {
            failures.Add("Admin:DrainInterval and Admin:PauseRefreshInterval must be positive.");
        }

        if (o.MaxBodyBytes < 1024)
        {
            failures.Add("Admin:MaxBodyBytes must be at least 1024.");
        }

        if (o.ReplayBatchSize is < 1 or > 10_000)
        {
            failures.Add("Admin:ReplayBatchSize must be between 1 and 10000.");
        }

        if (o.GrafanaTraceUrl is { Length: > 0 } grafana
            && (!grafana.Contains("{traceId}", StringComparison.Ordinal)
                || !Uri.TryCreate(grafana.Replace("{traceId}", "0", StringComparison.Ordinal), UriKind.Absolute, out var g)
                || g.Scheme is not ("http" or "https")))
        {
            failures.Add("Admin:GrafanaTraceUrl must be an http(s) URL holding {traceId}.");
        }

        if (o.Urls is { Length: > 0 } urls)
        {
            foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Uri.TryCreate(url.Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal), UriKind.Absolute, out var u) || u.Port <= 0)
                {
                    failures.Add($"Admin:Urls: '{url}' is not an http(s) URL with a port.");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
