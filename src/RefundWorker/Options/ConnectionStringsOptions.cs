using Microsoft.Extensions.Options;

namespace RefundWorker.Options;

/// <summary>
/// <c>ConnectionStrings:Postgres</c> (an Npgsql connection string) and <c>ConnectionStrings:RabbitMq</c>
/// (an <c>amqp://user:pass@host:port/vhost</c> URI). Environment: <c>ConnectionStrings__Postgres</c>, ...
/// </summary>
public sealed class ConnectionStringsOptions
{
    public const string SectionName = "ConnectionStrings";

    public string? Postgres { get; set; }

    public string? RabbitMq { get; set; }
}

/// <summary>Fails the start with a message that names the key, never the secret it holds.</summary>
public sealed class ConnectionStringsOptionsValidator : IValidateOptions<ConnectionStringsOptions>
{
    public ValidateOptionsResult Validate(string? name, ConnectionStringsOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Postgres))
        {
            errors.Add("ConnectionStrings:Postgres is required (e.g. Host=127.0.0.1;Username=...;Password=...;Database=refundworker).");
        }
        else
        {
            try
            {
                _ = new Npgsql.NpgsqlConnectionStringBuilder(options.Postgres);
            }
            catch (ArgumentException)
            {
                errors.Add("ConnectionStrings:Postgres is not a valid Npgsql connection string.");
            }
        }

        if (string.IsNullOrWhiteSpace(options.RabbitMq))
        {
            errors.Add("ConnectionStrings:RabbitMq is required (an amqp:// URI, e.g. amqp://user:pass@127.0.0.1:5672/).");
        }
        else if (!RabbitMqUri.TryParse(options.RabbitMq, out _))
        {
            errors.Add("ConnectionStrings:RabbitMq must be an amqp:// or amqps:// URI with a host.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>The parts of an amqp URI that MassTransit's host configuration takes separately.</summary>
public sealed record RabbitMqUri(string Host, int Port, string VirtualHost, string Username, string Password, bool UseSsl)
{
    public static bool TryParse(string value, out RabbitMqUri uri)
    {
        uri = null!;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var parsed)
            || (parsed.Scheme != "amqp" && parsed.Scheme != "amqps")
            || string.IsNullOrEmpty(parsed.Host))
        {
            return false;
        }

        var useSsl = parsed.Scheme == "amqps";
        var port = parsed.IsDefaultPort || parsed.Port <= 0 ? (useSsl ? 5671 : 5672) : parsed.Port;
        var path = parsed.AbsolutePath.TrimStart('/');
        // amqp URI spec: the vhost is the path, percent-encoded ("%2F" is "/"); an empty path means "/".
        var vhost = path.Length == 0 ? "/" : Uri.UnescapeDataString(path);
        var user = "guest";
        var password = "guest";
        if (!string.IsNullOrEmpty(parsed.UserInfo))
        {
            var colon = parsed.UserInfo.IndexOf(':', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(colon < 0 ? parsed.UserInfo : parsed.UserInfo[..colon]);
            password = colon < 0 ? string.Empty : Uri.UnescapeDataString(parsed.UserInfo[(colon + 1)..]);
        }

        uri = new RabbitMqUri(parsed.Host, port, vhost, user, password, useSsl);
        return true;
    }

    /// <summary>Never print the password.</summary>
    public override string ToString() => $"{(UseSsl ? "amqps" : "amqp")}://{Username}@{Host}:{Port}/{Uri.EscapeDataString(VirtualHost)}";
}
