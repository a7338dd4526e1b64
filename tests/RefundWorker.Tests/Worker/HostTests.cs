using System.CommandLine;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using RefundWorker.Cli;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>The host's commands and endpoints: <c>migrate</c>, <c>migrate --script</c>, <c>/health/*</c>.</summary>
[Collection(WorkerCollection.Name)]
public sealed class HostTests(WorkerFixture fx)
{
    [Fact]
    public async Task Should_create_the_schema_then_report_up_to_date_when_migrate_runs_twice()
    {
        await using var db = await TestDatabase.CreateAsync(fx.Services, migrate: false);
        var args = new[] { "migrate", $"--ConnectionStrings:Postgres={db.ConnectionString}" };

        var first = await Root().Parse(args).InvokeAsync();
        var second = await Root().Parse(args).InvokeAsync();

        Assert.Equal(0, first);
        Assert.Equal(0, second);
        Assert.Equal(3L, await db.ScalarAsync<long>("SELECT count(*) FROM information_schema.tables WHERE table_name IN ('operations', 'attempts', 'outbox')"));
    }

    [Fact]
    public async Task Should_print_idempotent_SQL_without_a_database_when_migrate_is_given_script()
    {
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        try
        {
            Assert.Equal(0, await Root().Parse(["migrate", "--script"]).InvokeAsync());
        }
        finally
        {
            Console.SetOut(original);
        }

        var sql = output.ToString();
        Assert.Contains("CREATE TABLE operations", sql, StringComparison.Ordinal);
        Assert.Contains("CREATE UNIQUE INDEX ux_operations_refund_key", sql, StringComparison.Ordinal);
        Assert.Contains("IF NOT EXISTS", sql, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_fail_with_exit_code_2_naming_the_key_when_the_configuration_is_invalid()
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        int code;
        try
        {
            code = await WorkerCommands.RunAsync(
                ["--ConnectionStrings:Postgres=" + fx.Database.ConnectionString, "--ConnectionStrings:RabbitMq=" + fx.VirtualHost.Amqp, "--Worker:Concurrency=0", "--urls=http://127.0.0.1:0"],
                CancellationToken.None);
        }
        finally
        {
            Console.SetError(original);
        }

        Assert.Equal(2, code);
        Assert.Contains("Worker:Concurrency", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/health/ready/inbound")]
    public async Task Should_answer_healthy_when_PostgreSQL_and_RabbitMQ_answer(string path)
    {
        var address = fx.Worker.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };

        using var response = await http.GetAsync(path);

        Assert.True(response.IsSuccessStatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    private static RootCommand Root()
    {
        var root = new RootCommand { TreatUnmatchedTokensAsErrors = false };
        root.Subcommands.Add(WorkerCommands.Migrate());
        return root;
    }
}
