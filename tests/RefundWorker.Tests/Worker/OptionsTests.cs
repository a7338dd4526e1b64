using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using RefundWorker.Options;

namespace RefundWorker.Tests.Worker;

/// <summary>A wrong setting fails at start with a message that names the key.</summary>
public sealed class OptionsTests
{
    [Fact]
    public void Should_name_every_wrong_Worker_key_when_values_are_out_of_range()
    {
        var o = Bind(new()
        {
            ["Worker:Concurrency"] = "0",
            ["Worker:LeaseDuration"] = "00:00:05",
            ["Worker:ReconcileSchedule:0"] = "-00:00:01",
            ["Worker:Providers:nicepay:MaxAttempts"] = "0",
        });

        var result = new WorkerOptionsValidator().Validate(null, o);

        Assert.True(result.Failed);
        var failures = string.Join("\n", result.Failures!);
        Assert.Contains("Worker:Concurrency", failures, StringComparison.Ordinal);
        Assert.Contains("Worker:ReconcileSchedule:0", failures, StringComparison.Ordinal);
        Assert.Contains("Worker:Providers:nicepay:MaxAttempts", failures, StringComparison.Ordinal);
        // The default CallTimeout (30s) cannot outlive a 5s lease.
        Assert.Contains("Worker:Defaults:CallTimeout", failures, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_accept_the_defaults_and_use_the_default_reconcile_schedule_when_nothing_is_configured()
    {
        var o = Bind([]);

        Assert.True(new WorkerOptionsValidator().Validate(null, o).Succeeded);
        Assert.Equal([TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromHours(1), TimeSpan.FromHours(6)], o.EffectiveReconcileSchedule);
    }

    [Theory]
    [InlineData(null, ExternalIdScope.Day)]
    [InlineData("Forever", ExternalIdScope.Forever)]
    [InlineData("day", ExternalIdScope.Day)]
    public void Should_bind_the_external_id_scope_with_Day_as_the_default_when_configured(string? value, ExternalIdScope expected)
    {
        var o = Bind(value is null ? [] : new() { ["Worker:ExternalIdScope"] = value });

        Assert.Equal(expected, o.ExternalIdScope);
        Assert.True(new WorkerOptionsValidator().Validate(null, o).Succeeded);
    }

    [Fact]
    public void Should_name_the_key_when_the_external_id_scope_is_not_a_known_scope()
    {
        var result = new WorkerOptionsValidator().Validate(null, Bind(new() { ["Worker:ExternalIdScope"] = "7" }));

        Assert.Contains(result.Failures!, f => f.Contains("Worker:ExternalIdScope", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_fall_back_on_the_defaults_when_a_provider_overrides_only_some_settings()
    {
        var o = Bind(new() { ["Worker:Defaults:MaxAttempts"] = "5", ["Worker:Providers:bnc:BackoffBase"] = "00:00:03" });

        var bnc = o.For("bnc");

        Assert.Equal(5, bnc.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(3), bnc.BackoffBase);
        Assert.Equal(TimeSpan.FromSeconds(1), o.For("nicepay").BackoffBase);
    }

    [Theory]
    [InlineData(null, null, "ConnectionStrings:Postgres is required")]
    [InlineData("Host=x;Database=y", "http://guest@host/", "ConnectionStrings:RabbitMq must be an amqp")]
    public void Should_name_the_connection_string_and_never_print_it_when_it_is_missing_or_wrong(string? pg, string? mq, string expected)
    {
        var result = new ConnectionStringsOptionsValidator().Validate(null, new ConnectionStringsOptions { Postgres = pg, RabbitMq = mq ?? "amqp://u:secret-password@h/" });

        Assert.Contains(result.Failures!, f => f.Contains(expected, StringComparison.Ordinal));
        Assert.DoesNotContain(result.Failures!, f => f.Contains("secret-password", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_split_an_amqp_uri_with_an_escaped_vhost_when_parsing_the_RabbitMq_connection_string()
    {
        Assert.True(RabbitMqUri.TryParse("amqp://user:p%40ss@mq.local:5673/rw%2Ftest", out var uri));

        Assert.Equal(("mq.local", 5673, "rw/test", "user", "p@ss"), (uri.Host, uri.Port, uri.VirtualHost, uri.Username, uri.Password));
        Assert.DoesNotContain("p@ss", uri.ToString(), StringComparison.Ordinal);
    }

    private static WorkerOptions Bind(Dictionary<string, string?> values)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var o = new WorkerOptions();
        config.GetSection(WorkerOptions.SectionName).Bind(o);
        return o;
    }
}
